package dev.reseeddrbg.demo.realvm;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.PageFile;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The application inside the real-VM clone test's guest: draws from the generators an
 * application would use, on a fixed tick, and prints one line per round.
 *
 * <p>The JVM runs with {@code -Djava.security.properties=conf/reseed-drbg.security}, so
 * {@code new SecureRandom()} is ReseedDRBG, exactly as an unmodified application gets
 * it. The JDK's {@code DRBG}, {@code NativePRNG} and {@code SHA1PRNG} draw beside it as
 * the comparison. Every line carries the round number, so that the host can pair the
 * rounds of two clones restored from one snapshot: round {@code n} in both clones comes
 * from the same pre-snapshot state unless something reseeded it after the restore.
 *
 * <p>Output, one line each (parsed by {@link CloneRun}):
 * <pre>
 * probe default=ReseedDRBG/ReseedDRBG page=/run/reseeddrbg/epoch
 * draw ROUND WORD ReseedDRBG=HEX DRBG=HEX NativePRNG=HEX SHA1PRNG=HEX
 * </pre>
 * where WORD is the page's word, read through the page ABI after the round's draws.
 */
public final class CloneProbe {
    /** The round period; the test's resolution for "time to the first differing draw". */
    static final long TICK_MILLIS = 50;
    /** Bytes per draw: enough that two independent draws never agree by chance. */
    static final int DRAW_BYTES = 16;

    private CloneProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path pagePath = Path.of(args.length > 0 ? args[0] : "/run/reseeddrbg/epoch");
        Map<String, SecureRandom> generators = new LinkedHashMap<>();
        SecureRandom platformDefault = new SecureRandom();
        generators.put("ReseedDRBG", platformDefault);
        generators.put("DRBG", SecureRandom.getInstance("DRBG", "SUN"));
        generators.put("NativePRNG", SecureRandom.getInstance("NativePRNG", "SUN"));
        generators.put("SHA1PRNG", SecureRandom.getInstance("SHA1PRNG", "SUN"));
        HexFormat hex = HexFormat.of();
        byte[] draw = new byte[DRAW_BYTES];
        try (Arena arena = Arena.ofConfined()) {
            EpochPage page = PageFile.mapReadOnly(pagePath, arena);
            System.out.println("probe default=" + platformDefault.getAlgorithm() + "/"
                    + platformDefault.getProvider().getName() + " page=" + pagePath);
            long next = System.nanoTime();
            for (long round = 0; ; round++) {
                StringBuilder line = new StringBuilder(200).append("draw ").append(round);
                StringBuilder draws = new StringBuilder(180);
                for (Map.Entry<String, SecureRandom> g : generators.entrySet()) {
                    g.getValue().nextBytes(draw);
                    draws.append(' ').append(g.getKey()).append('=').append(hex.formatHex(draw));
                }
                line.append(' ').append(String.format("%08x", page.loadWord())).append(draws);
                System.out.println(line);
                next += TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                } else {
                    next = System.nanoTime(); // fell behind (a restore pauses time): keep the tick, skip no rounds
                }
            }
        }
    }
}
