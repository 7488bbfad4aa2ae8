package dev.reseeddrbg.systemtest.realvm;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.PageFile;
import java.lang.foreign.Arena;
import java.nio.file.Files;
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
 * probe default=ReseedDRBG/ReseedDRBG page=/run/reseeddrbg/epoch vmclock=/dev/vmclock0
 * draw ROUND WORD VMCLOCK ReseedDRBG=HEX DRBG=HEX NativePRNG=HEX SHA1PRNG=HEX
 * </pre>
 * where WORD is the epoch page's word and VMCLOCK the VMClock page's restore counter, both
 * read just before the round's draws, each {@code none} when that page does not exist (a guest
 * with no page owner, a hypervisor with no VMClock device). The VMClock counter is what
 * the hypervisor changed at the restore, so it tells the host which rounds a clone drew
 * after its restore was visible to it.
 */
public final class CloneProbe {
    /** The round period; the test's resolution for "time to the first differing draw". */
    static final long TICK_MILLIS = 50;
    /** Bytes per draw: enough that two independent draws never agree by chance. */
    static final int DRAW_BYTES = 16;
    /** What a page that does not exist reads as. */
    static final String NONE = "none";

    private CloneProbe() {
    }

    /** Arguments: {@code [EPOCH_PAGE [VMCLOCK_DEVICE]]}. */
    public static void main(String[] args) throws Exception {
        Path pagePath = Path.of(args.length > 0 ? args[0] : "/run/reseeddrbg/epoch");
        Path vmclockPath = Path.of(args.length > 1 ? args[1] : "/dev/vmclock0");
        Map<String, SecureRandom> generators = new LinkedHashMap<>();
        SecureRandom platformDefault = new SecureRandom();
        generators.put("ReseedDRBG", platformDefault);
        generators.put("DRBG", SecureRandom.getInstance("DRBG", "SUN"));
        generators.put("NativePRNG", SecureRandom.getInstance("NativePRNG", "SUN"));
        generators.put("SHA1PRNG", SecureRandom.getInstance("SHA1PRNG", "SUN"));
        HexFormat hex = HexFormat.of();
        byte[] draw = new byte[DRAW_BYTES];
        try (Arena arena = Arena.ofConfined();
             VmClockReader vmclock = Files.exists(vmclockPath) ? VmClockReader.open(vmclockPath) : null) {
            EpochPage page = Files.exists(pagePath) ? PageFile.mapReadOnly(pagePath, arena) : null;
            System.out.println("probe default=" + platformDefault.getAlgorithm() + "/"
                    + platformDefault.getProvider().getName() + " page=" + (page == null ? NONE : pagePath)
                    + " vmclock=" + (vmclock == null ? NONE : vmclockPath + "(" + vmclock.counter().field() + ")"));
            long next = System.nanoTime();
            for (long round = 0; ; round++) {
                StringBuilder line = new StringBuilder(220).append("draw ").append(round);
                // Read before the draws: the word and counter the round was drawn under, as
                // near as the probe can tell (the provider's own loads come later and see at
                // least these). A snapshot taken mid-round leaves the old values here.
                line.append(' ').append(page == null ? NONE : String.format("%08x", page.loadWord()))
                        .append(' ').append(vmclock == null ? NONE : Long.toHexString(vmclock.read()));
                for (Map.Entry<String, SecureRandom> g : generators.entrySet()) {
                    g.getValue().nextBytes(draw);
                    line.append(' ').append(g.getKey()).append('=').append(hex.formatHex(draw));
                }
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
