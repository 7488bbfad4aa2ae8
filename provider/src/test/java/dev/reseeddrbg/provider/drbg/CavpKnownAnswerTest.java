package dev.reseeddrbg.provider.drbg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bouncycastle.crypto.prng.BasicEntropySourceProvider;
import org.bouncycastle.crypto.prng.drbg.SP80090DRBG;
import org.bouncycastle.util.test.FixedSecureRandom;
import org.junit.jupiter.api.Test;

/**
 * Runs every NIST CAVP DRBG vector under {@code -Dcavp.dir} (default: the copy in
 * src/test/resources/cavp) through {@link Mechanism#instantiate}, the factory the
 * provider itself uses. The variant of each file (pr_false, pr_true, no_reseed) and its
 * mechanism are read from the file's content, not its name. Groups the provider does not
 * offer are counted as skipped, with the reason. Every CTR_DRBG vector runs through
 * {@link CtrDrbg}, the engine the provider ships.
 *
 * <p>Run alone: {@code ./mvnw -pl provider -am test -Dtest=CavpKnownAnswerTest -Dsurefire.failIfNoSpecifiedTests=false -Dcavp.dir=DIR}
 */
class CavpKnownAnswerTest {
    private static final HexFormat HEX = HexFormat.of();

    enum Variant { PR_FALSE, PR_TRUE, NO_RESEED }

    /** One COUNT: its fields in file order (AdditionalInput and EntropyInputPR appear twice). */
    record Case(String file, String group, int line, List<Map.Entry<String, String>> fields) {
        List<byte[]> all(String name) {
            List<byte[]> values = new ArrayList<>();
            for (Map.Entry<String, String> f : fields) {
                if (f.getKey().equals(name)) {
                    values.add(HEX.parseHex(f.getValue()));
                }
            }
            return values;
        }

        byte[] one(String name) {
            List<byte[]> values = all(name);
            if (values.size() != 1) {
                throw new IllegalStateException(file + ":" + line + " has " + values.size() + " " + name);
            }
            return values.getFirst();
        }

        boolean has(String name) {
            return fields.stream().anyMatch(f -> f.getKey().equals(name));
        }

        Variant variant() {
            return has("EntropyInputReseed") ? Variant.PR_FALSE : has("EntropyInputPR") ? Variant.PR_TRUE
                    : Variant.NO_RESEED;
        }
    }

    @Test
    void everyVectorMatches() throws IOException {
        Path dir = Path.of(System.getProperty("cavp.dir", "src/test/resources/cavp"));
        assertTrue(Files.isDirectory(dir), "cavp.dir " + dir.toAbsolutePath() + " is not a directory");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> p.toString().endsWith(".rsp")).sorted().toList();
        }
        assertTrue(!files.isEmpty(), "no .rsp files under " + dir.toAbsolutePath());

        int passed = 0;
        List<String> failures = new ArrayList<>();
        Map<String, Integer> skipped = new TreeMap<>();
        Map<String, Integer> coverage = new TreeMap<>();
        for (Path file : files) {
            for (Map.Entry<String, List<Case>> group : parse(file).entrySet()) {
                for (Case c : group.getValue()) {
                    String[] mechanismAndPrimitive = group.getKey().split("\\|", 2);
                    Mechanism mechanism = Mechanism.byName(mechanismAndPrimitive[0]);
                    String primitive = mechanismAndPrimitive[1];
                    String skip = skipReason(mechanism, primitive);
                    if (skip != null) {
                        skipped.merge(mechanismAndPrimitive[0] + " " + primitive + ": " + skip, 1, Integer::sum);
                        continue;
                    }
                    String algorithm = primitive.replace(" use df", "");
                    if (run(mechanism, algorithm, c)) {
                        passed++;
                        coverage.merge(mechanism.standardName() + " " + algorithm + " " + c.variant(), 1,
                                Integer::sum);
                    } else {
                        failures.add(c.file() + ":" + c.line() + " " + group.getKey());
                    }
                }
            }
        }
        int skippedCount = skipped.values().stream().mapToInt(Integer::intValue).sum();
        coverage.forEach((k, v) -> System.out.println("cavp covered: " + k + " x" + v));
        skipped.forEach((k, v) -> System.out.println("cavp skipped: " + k + " x" + v));
        failures.stream().limit(20).forEach(f -> System.out.println("cavp FAILED: " + f));
        System.out.println("cavp: " + passed + " passed, " + failures.size() + " failed, " + skippedCount + " skipped");
        assertEquals(List.of(), failures.stream().limit(20).toList(), failures.size() + " vectors failed");
        assertTrue(passed > 0, "no vector was run");
    }

    private static String skipReason(Mechanism mechanism, String primitive) {
        if (mechanism == null) {
            return "mechanism not offered";
        }
        if (primitive.equals("SHA-1")) {
            return "SHA-1 is not offered (the JDK's DRBG refuses it too)";
        }
        if (primitive.contains("TDEA")) {
            return "TDEA is not offered";
        }
        if (primitive.contains("no df")) {
            return "CTR_DRBG without the derivation function is not offered (only use_df)";
        }
        if (!mechanism.algorithms().contains(primitive.replace(" use df", ""))) {
            return "algorithm not offered";
        }
        return null;
    }

    /** The harness flow of SOURCE.md: instantiate, [reseed], generate twice, compare the second. */
    private static boolean run(Mechanism mechanism, String algorithm, Case c) {
        // The entropy inputs the DRBG will ask for, in order, all of one length.
        List<byte[]> entropy = new ArrayList<>(List.of(c.one("EntropyInput")));
        Variant variant = c.variant();
        List<byte[]> additional = c.all("AdditionalInput");
        if (variant == Variant.PR_FALSE) {
            entropy.add(c.one("EntropyInputReseed"));
        } else if (variant == Variant.PR_TRUE) {
            entropy.addAll(c.all("EntropyInputPR"));
        }
        int entropyBits = c.one("EntropyInput").length * 8;
        int strength = Math.min(Mechanism.maxStrength(algorithm), entropyBits);
        FixedSecureRandom script = new FixedSecureRandom(entropy.toArray(byte[][]::new));
        SP80090DRBG drbg = mechanism.instantiate(algorithm, strength,
                new BasicEntropySourceProvider(script, false).get(entropyBits),
                nullIfEmpty(c.one("PersonalizationString")), nullIfEmpty(c.one("Nonce")));
        if (mechanism == Mechanism.CTR_DRBG && !(drbg instanceof CtrDrbg)) {
            throw new AssertionError("CTR_DRBG vectors must run through our CtrDrbg, not " + drbg.getClass());
        }
        if (variant == Variant.PR_FALSE) {
            drbg.reseed(nullIfEmpty(c.one("AdditionalInputReseed")));
        }
        byte[] expected = c.one("ReturnedBits");
        byte[] out = new byte[expected.length];
        for (int i = 0; i < 2; i++) {
            if (variant == Variant.PR_TRUE) {
                // SP 800-90A 9.3.1 step 7: reseed with the additional input, generate without.
                drbg.reseed(nullIfEmpty(additional.get(i)));
                drbg.generate(out, null, false);
            } else {
                drbg.generate(out, nullIfEmpty(additional.get(i)), false);
            }
        }
        return script.isExhausted() && MessageDigest.isEqual(out, expected);
    }

    private static byte[] nullIfEmpty(byte[] b) {
        return b.length == 0 ? null : b;
    }

    /** Groups keyed "Mechanism|primitive line", cases in file order. */
    static Map<String, List<Case>> parse(Path file) throws IOException {
        Map<String, List<Case>> groups = new LinkedHashMap<>();
        String mechanism = null;
        String primitive = null;
        List<Map.Entry<String, String>> fields = null;
        int caseLine = 0;
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("#")) {
                // "# CTR_DRBG options: ..." names the mechanism of the whole file.
                int options = line.indexOf(" options:");
                if (options > 0) {
                    mechanism = line.substring(1, options).strip();
                }
                continue;
            }
            if (line.startsWith("[") && !line.contains("=")) {
                primitive = line.substring(1, line.length() - 1);
                continue;
            }
            if (line.startsWith("COUNT")) {
                fields = new ArrayList<>();
                caseLine = i + 1;
                groups.computeIfAbsent(mechanism + "|" + primitive, k -> new ArrayList<>())
                        .add(new Case(file.getFileName().toString(), primitive, caseLine, fields));
                continue;
            }
            if (fields != null && !line.startsWith("[") && line.contains("=")) {
                int eq = line.indexOf('=');
                fields.add(Map.entry(line.substring(0, eq).strip(), line.substring(eq + 1).strip()));
            }
        }
        return groups;
    }
}
