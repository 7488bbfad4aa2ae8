package dev.reseeddrbg.benchmarks;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.InvalidPageException;
import dev.reseeddrbg.page.PageLayout;
import dev.reseeddrbg.provider.engine.ReseedDrbgSpi;
import dev.reseeddrbg.provider.epoch.CurrentBinding;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import dev.reseeddrbg.provider.epoch.MissingPagePolicy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the page check costs: one nextBytes(32) of the identical engine with the check
 * on (the real mapped page) and off (a binding, built only here, whose word is a
 * constant, so the two loads of every draw are gone). Five forks, so the report can
 * take the median ratio over forks: on a shared VM a fork now and then runs far slower
 * than its siblings, in either variant.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 5, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class CheckCostBenchmark {
    @Param({"on", "off"})
    public String check;

    private SecureRandom random;
    private final byte[] out = new byte[32];

    /** A control's word that is never written: a volatile read is the acquire load the heap control needs. */
    private static volatile int heapWord;

    /**
     * ReseedDRBG bound to a given binding, registered as the provider registers it
     * (ThreadSafe=true). A SecureRandom built with the public (spi, provider) constructor
     * instead has no algorithm name, so SecureRandom cannot see ThreadSafe and wraps every
     * draw in a monitor, which no real caller pays and which would hide the check's cost.
     */
    static final class BoundProvider extends Provider {
        private static final long serialVersionUID = 1L;
        static final String ALGORITHM = "ReseedDRBG-bound";

        BoundProvider(CurrentBinding binding) {
            super("ReseedDRBG-benchmark", "1", "ReseedDRBG bound to a benchmark's binding");
            putService(new Service(this, "SecureRandom", ALGORITHM, ReseedDrbgSpi.class.getName(), null,
                    Map.of("ThreadSafe", "true")) {
                @Override
                public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
                    try {
                        return new ReseedDrbgSpi(null, binding);
                    } catch (InvalidPageException e) {
                        throw new NoSuchAlgorithmException(e);
                    }
                }
            });
        }
    }

    @Setup
    public void setup() throws Exception {
        random = bound(check.equals("on"));
        random.nextBytes(out);
    }

    /** ReseedDRBG CTR_DRBG AES-256 over the real page ({@code checked}) or over a constant word. */
    static SecureRandom bound(boolean checked) throws Exception {
        return bound(checked ? "page" : "constant");
    }

    /**
     * Over the real page ("page"), a constant word that touches no memory ("constant"), or
     * an acquire load of a heap field that stays 0 ("heap", a control for the load itself).
     */
    static SecureRandom bound(String word) throws Exception {
        Path path = BenchPage.kernel().page().path();
        System.setProperty("reseeddrbg.config", "CTR_DRBG,AES-256,256");
        // The real page is bound first in every variant, as in a real process, where it is
        // the JVM's first binding and so read at a constant address.
        EpochBinding page = CurrentBinding.of(path, MissingPagePolicy.FAIL).get();
        EpochBinding binding = switch (word) {
            case "page" -> page;
            case "constant" -> EpochBinding.benchmarkSeam(unreadPage(), path, () -> 0);
            case "heap" -> EpochBinding.benchmarkSeam(unreadPage(), path, () -> heapWord);
            default -> throw new IllegalArgumentException("word source " + word + ": page, constant or heap");
        };
        return SecureRandom.getInstance(BoundProvider.ALGORITHM, new BoundProvider(CurrentBinding.benchmarkSeam(binding)));
    }

    /** A page for the control bindings to carry (reports name it); their load() never reads it. */
    private static EpochPage unreadPage() throws InvalidPageException {
        return EpochPage.format(Arena.global().allocate(PageLayout.PAGE_SIZE, 4096), null);
    }

    @Benchmark
    public byte[] nextBytes32() {
        random.nextBytes(out);
        return out;
    }
}
