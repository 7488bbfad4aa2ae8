package dev.reseeddrbg.benchmarks;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.PageLayout;
import dev.reseeddrbg.provider.ReseedProvider;
import dev.reseeddrbg.provider.engine.ReseedDrbgSpi;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import dev.reseeddrbg.provider.epoch.MissingPagePolicy;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.security.SecureRandom;
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
 * constant, so the two loads of every draw are gone). Three forks, so the report can
 * take the median ratio over forks.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class CheckCostBenchmark {
    @Param({"on", "off"})
    public String check;

    private SecureRandom random;
    private final byte[] out = new byte[32];

    /** The "off" variant: the same class of binding, but word() never touches memory. */
    static final class UncheckedBinding extends EpochBinding {
        UncheckedBinding(EpochPage page, Path path) {
            super(page, Source.PAGE, path, null);
        }

        @Override
        public int word() {
            return 0;
        }
    }

    @Setup
    public void setup() throws Exception {
        Path path = BenchPage.kernel().page().path();
        System.setProperty("reseeddrbg.config", "CTR_DRBG,AES-256,256");
        EpochBinding binding = check.equals("on")
                ? EpochBinding.bind(path, MissingPagePolicy.FAIL)
                : new UncheckedBinding(EpochPage.format(Arena.global().allocate(PageLayout.PAGE_SIZE, 4096), null), path);
        random = new SecureRandom(new ReseedDrbgSpi(null, binding), new ReseedProvider()) {
            private static final long serialVersionUID = 1L;
        };
        random.nextBytes(out);
    }

    @Benchmark
    public byte[] nextBytes32() {
        random.nextBytes(out);
        return out;
    }
}
