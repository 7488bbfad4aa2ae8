package dev.reseeddrbg.benchmarks;

import dev.reseeddrbg.page.EpochPage;
import dev.reseeddrbg.page.PageFile;
import dev.reseeddrbg.provider.epoch.CurrentBinding;
import dev.reseeddrbg.provider.epoch.EpochBinding;
import dev.reseeddrbg.provider.epoch.MissingPagePolicy;
import dev.reseeddrbg.simkernel.KernelPage;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The check by itself: an acquire load of the word from the read-only mapping, against
 * JMH's empty baseline. The loaded value is returned to JMH's blackhole and the load has
 * acquire semantics, so it can be neither dropped nor hoisted out of the loop.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class WordLoadBenchmark {
    private EpochPage page;
    private EpochBinding binding;
    private EpochBinding laterBinding;

    @Setup
    public void setup() throws Exception {
        page = PageFile.mapReadOnly(BenchPage.kernel().page().path(), Arena.global());
        binding = CurrentBinding.of(BenchPage.kernel().page().path(), MissingPagePolicy.FAIL).get();
        Path second = Files.createTempDirectory("reseeddrbg-bench-").resolve("epoch");
        KernelPage.initialize(second);
        laterBinding = CurrentBinding.of(second, MissingPagePolicy.FAIL).get();
    }

    @Benchmark
    public void baseline() {
        // JMH's empty baseline: the cost of the harness loop itself.
    }

    /** Through the page's own segment: what readers without native access get. */
    @Benchmark
    public int loadWord() {
        return page.loadWord();
    }

    /**
     * What a draw does with native access: an address in one constant all-memory segment,
     * and, this being the JVM's first binding, a constant address.
     */
    @Benchmark
    public long bindingWord() {
        return binding.load();
    }

    /** A binding made after the first: the same segment, the address read from a field. */
    @Benchmark
    public long laterBindingWord() {
        return laterBinding.load();
    }
}
