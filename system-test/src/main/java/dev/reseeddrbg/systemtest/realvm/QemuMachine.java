package dev.reseeddrbg.systemtest.realvm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a QEMU process of the real-VM clone test runs: its binary and environment, then the
 * accelerator, machine, firmware and device arguments, the guest's kernel and initramfs
 * included. {@link #command} adds what every process of the test has: no default devices
 * or display, QMP and the three serial ports as sockets QEMU waits on (so that no line is
 * lost), and for a clone the snapshot to restore, paused.
 */
record QemuMachine(String binary, Map<String, String> env, List<String> args) {
    QemuMachine {
        env = Map.copyOf(env);
        args = List.copyOf(args);
    }

    /** The command line of one process: sockets in {@code dir}, kernel command line {@code append}, {@code incoming} or null. */
    List<String> command(String name, Path dir, String append, Path incoming) {
        List<String> command = new ArrayList<>(List.of(binary, "-name", name, "-nodefaults", "-display", "none",
                "-no-user-config"));
        command.addAll(args);
        command.addAll(List.of("-append", append, "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=on"));
        for (String port : Qemu.PORTS) {
            command.addAll(List.of("-chardev", "socket,id=" + port + ",path=" + dir.resolve(port + ".sock")
                    + ",server=on,wait=on", "-serial", "chardev:" + port));
        }
        if (incoming != null) {
            command.addAll(List.of("-S", "-incoming", "exec:cat " + incoming));
        }
        return command;
    }
}
