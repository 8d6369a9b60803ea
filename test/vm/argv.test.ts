/** The QEMU command line and the guest's kernel command line: what the guest is told, and what is refused. */
import { describe, expect, it } from "vitest";
import { type GuestOptions, qemuArgv } from "../../src/vm/guest.js";
import { kernelCommandLine } from "../../src/vm/init.js";

const image = {
  kernel: "/boot/vmlinuz-6.1.0-57-cloud-amd64",
  initrd: "/c/initrd.cpio.gz",
  kernelVersion: "6.1.0-57-cloud-amd64",
};
const base: GuestOptions = { image, ifname: "tap0", mac: "52:54:00:12:34:56" };
const optionValue = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe("guest argv", () => {
  it("boots the kernel and initrd on q35/TCG with the serial console on stdio and the tap as virtio-net", () => {
    const argv = qemuArgv({ ...base, script: "/h/up", downscript: "/h/down", memoryMb: 256 });
    expect(argv[0]).toBe("qemu-system-x86_64");
    expect(optionValue(argv, "-kernel")).toBe(image.kernel);
    expect(optionValue(argv, "-initrd")).toBe(image.initrd);
    expect(optionValue(argv, "-m")).toBe("256");
    expect(optionValue(argv, "-chardev")).toBe("stdio,id=s0,signal=off");
    expect(optionValue(argv, "-serial")).toBe("chardev:s0");
    expect(optionValue(argv, "-netdev")).toBe("tap,id=n0,ifname=tap0,script=/h/up,downscript=/h/down");
    expect(optionValue(argv, "-device")).toBe("virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56");
    expect(argv).toContain("-no-reboot");
    expect(argv).toContain("-nodefaults");
    expect(optionValue(argv, "-append")).toBe(
      "console=ttyS0 quiet panic=-1 riplet.hostname=riplet-guest riplet.ip=dhcp",
    );
  });

  it("runs inside the namespace when given one, with no scripts when none are given, 128 MB by default", () => {
    const argv = qemuArgv({ ...base, netns: "rl-1-host" });
    expect(argv.slice(0, 5)).toEqual(["ip", "netns", "exec", "rl-1-host", "qemu-system-x86_64"]);
    expect(optionValue(argv, "-netdev")).toBe("tap,id=n0,ifname=tap0,script=no,downscript=no");
    expect(optionValue(argv, "-m")).toBe("128");
  });

  it("tells the guest its name and static address on the kernel command line", () => {
    expect(kernelCommandLine("web-1", { cidr: "198.51.100.5/24", gateway: "198.51.100.1" })).toBe(
      "console=ttyS0 quiet panic=-1 riplet.hostname=web-1 riplet.ip=198.51.100.5/24,198.51.100.1",
    );
  });

  it.each([
    [{ ifname: "a-tap-name-too-long" }, /not a Linux interface name/],
    [{ ifname: "tap0,script=/x" }, /not a Linux interface name/],
    [{ mac: "52:54:00:12:34" }, /not a unicast MAC/],
    [{ mac: "01:00:5e:00:00:01" }, /not a unicast MAC/],
    [{ script: "/a,b/up" }, /contains a comma/],
    [{ hostname: "two words" }, /not a DNS label/],
    [{ hostname: "-x" }, /not a DNS label/],
    [{ addressing: { cidr: "198.51.100.5", gateway: "198.51.100.1" } }, /not IPv4 CIDR \+ gateway/],
    [{ addressing: { cidr: "198.51.100.5/24", gateway: "x; reboot" } }, /not IPv4 CIDR \+ gateway/],
  ] as [Partial<GuestOptions>, RegExp][])("refuses %j", (change, message) => {
    expect(() => qemuArgv({ ...base, ...change })).toThrow(message);
  });
});
