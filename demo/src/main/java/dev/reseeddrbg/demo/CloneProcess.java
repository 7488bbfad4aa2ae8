package dev.reseeddrbg.demo;

import dev.reseeddrbg.provider.ReseedDrbgMXBean;
import dev.reseeddrbg.provider.ReseedProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Collectors;
import javax.management.JMX;
import javax.management.ObjectName;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.prng.BasicEntropySourceProvider;
import org.bouncycastle.crypto.prng.EntropySource;
import org.bouncycastle.crypto.prng.drbg.HashSP800DRBG;
import org.bouncycastle.util.test.FixedSecureRandom;

/**
 * One "VM restored from the snapshot": a JVM whose DRBGs start in the snapshot's state.
 * It holds a naive DRBG (Bouncy Castle's Hash_DRBG, which never looks at the page) and
 * ReseedDRBG installed as the default SecureRandom, and answers the parent on stdin:
 * {@code draw} prints 16 bytes of each, {@code counters} the MBean's reseed counters,
 * {@code quit} ends.
 */
public final class CloneProcess {
    private CloneProcess() {
    }

    public static void main(String[] args) throws Exception {
        ReseedProvider.install();
        SecureRandom reseedDrbg = new SecureRandom(); // the default is ours now
        HashSP800DRBG naive = naiveDrbg();
        ReseedDrbgMXBean counters = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
                new ObjectName(ReseedDrbgMXBean.OBJECT_NAME), ReseedDrbgMXBean.class);
        HexFormat hex = HexFormat.of();
        System.out.println("ready " + reseedDrbg.getAlgorithm());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null; ) {
            switch (line.strip()) {
                case "draw" -> {
                    byte[] a = new byte[16];
                    byte[] b = new byte[16];
                    naive.generate(a, null, false);
                    reseedDrbg.nextBytes(b);
                    System.out.println(hex.formatHex(a) + " " + hex.formatHex(b));
                }
                case "counters" -> System.out.println(format(counters.getReseedsByCause()));
                case "quit" -> {
                    return;
                }
                default -> System.out.println("unknown command " + line);
            }
        }
    }

    private static String format(Map<String, Long> byCause) {
        return byCause.entrySet().stream().filter(e -> e.getValue() > 0)
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }

    /** A DRBG seeded from the same snapshot, with no notion of epochs: what most code has today. */
    private static HashSP800DRBG naiveDrbg() {
        byte[] seed = java.util.HexFormat.of().parseHex(System.getProperty(SnapshotEntropySource.SEED_PROPERTY, "5eed"));
        byte[] entropy = new byte[32];
        SnapshotEntropySource.expand(seed, 100, entropy);
        byte[] nonce = new byte[16];
        SnapshotEntropySource.expand(seed, 101, nonce);
        EntropySource fixed = new BasicEntropySourceProvider(new FixedSecureRandom(entropy), false).get(256);
        return new HashSP800DRBG(new SHA256Digest(), 256, fixed, null, nonce);
    }
}
