package dev.reseeddrbg.provider.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starts a real child JVM (this JDK, this test class path unless told otherwise) and collects its output. */
public final class ChildJvm {
    private ChildJvm() {
    }

    public record Result(int exit, String out, String err) {
        /** The child's {@code key=value} lines. */
        public Map<String, String> values() {
            Map<String, String> values = new LinkedHashMap<>();
            out.lines().filter(l -> l.contains("=")).forEach(l -> values.put(l.substring(0, l.indexOf('=')),
                    l.substring(l.indexOf('=') + 1)));
            return values;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The entries of this JVM's class path. */
    public static List<String> classPath() {
        return Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
    }

    /** The class path entry whose path contains {@code fragment}. */
    public static String entry(String fragment) {
        return classPath().stream().filter(e -> e.replace('\\', '/').contains(fragment)).findFirst()
                .orElseThrow(() -> new AssertionError("no class path entry with " + fragment + " in " + classPath()));
    }

    /** Runs {@code java <jvmArgs> <main> <args>} with the given class path; fails the test on a timeout. */
    public static Result run(List<String> jvmArgs, String classPath, Class<?> main, String... args)
            throws IOException, InterruptedException {
        return run(List.of(), jvmArgs, classPath, main, args);
    }

    /**
     * As {@link #run(List, Class, String...)}, in a JVM whose file accesses obey file modes
     * even when the tests run as root: util-linux's {@code setpriv} drops
     * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its bounding set before starting it.
     */
    public static Result runBoundByFileModes(List<String> jvmArgs, Class<?> main, String... args)
            throws IOException, InterruptedException {
        return run(List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"), jvmArgs,
                System.getProperty("java.class.path"), main, args);
    }

    private static Result run(List<String> launcher, List<String> jvmArgs, String classPath, Class<?> main,
                              String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(launcher);
        command.add(java());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(classPath);
        command.add(main.getName());
        command.addAll(List.of(args));
        Path err = Files.createTempFile("child-jvm-", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM timed out: " + command);
            }
            return new Result(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    public static Result run(List<String> jvmArgs, Class<?> main, String... args) throws IOException, InterruptedException {
        return run(jvmArgs, System.getProperty("java.class.path"), main, args);
    }
}
