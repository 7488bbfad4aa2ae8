package dev.reseeddrbg.systemtest.realvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One guest of the real-VM clone test: the QEMU that runs it, with its own firmware and
 * module directories, and the kernel and initramfs it boots. Given on the command line as
 * {@code --guest name=ID,kernel=VMLINUZ,initrd=INITRD[,qemu=BINARY][,firmware=DIR:DIR][,moduledir=DIR]}.
 *
 * <p>A QEMU unpacked from a package rather than installed must not load the installed
 * QEMU's modules or firmware: {@code moduledir} becomes {@code QEMU_MODULE_DIR} and each
 * {@code firmware} directory an {@code -L}, searched before the built-in paths.
 */
record Guest(String name, String qemu, List<String> firmware, Path moduleDir, Path kernel, Path initrd) {
    static Guest parse(String spec) {
        Map<String, String> kv = new HashMap<>();
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("--guest " + spec + ": '" + part + "' is not KEY=VALUE");
            }
            kv.put(part.substring(0, eq), part.substring(eq + 1));
        }
        for (String required : List.of("name", "kernel", "initrd")) {
            if (!kv.containsKey(required)) {
                throw new IllegalArgumentException("--guest " + spec + " lacks " + required + "=");
            }
        }
        List<String> firmware = kv.containsKey("firmware") ? Arrays.asList(kv.get("firmware").split(":")) : List.of();
        return new Guest(kv.get("name"), kv.getOrDefault("qemu", "qemu-system-x86_64"), firmware,
                kv.containsKey("moduledir") ? Path.of(kv.get("moduledir")) : null, Path.of(kv.get("kernel")),
                Path.of(kv.get("initrd")));
    }

    /** The QEMU command for this guest on {@code accel} (accelerator, machine, CPU, memory) with {@code devices}. */
    QemuMachine machine(List<String> accel, List<String> devices) {
        List<String> args = new ArrayList<>(accel);
        for (String dir : firmware) {
            args.addAll(List.of("-L", dir));
        }
        for (String device : devices) {
            args.addAll(List.of("-device", device));
        }
        args.addAll(List.of("-kernel", kernel.toString(), "-initrd", initrd.toString()));
        return new QemuMachine(qemu, moduleDir == null ? Map.of() : Map.of("QEMU_MODULE_DIR", moduleDir.toString()),
                args);
    }

    /** The first line of {@code qemu --version}, run as the guest's QEMU runs. */
    String qemuVersion() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(qemu, "--version").redirectErrorStream(true);
        machine(List.of(), List.of()).env().forEach(pb.environment()::put);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(qemu + " --version failed: " + out);
        }
        return out.lines().findFirst().orElse("?").replace("QEMU emulator version ", "QEMU ");
    }
}
