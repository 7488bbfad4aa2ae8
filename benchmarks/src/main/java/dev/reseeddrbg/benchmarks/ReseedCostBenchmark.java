package dev.reseeddrbg.benchmarks;

import dev.reseeddrbg.simkernel.Notifier;
import java.security.SecureRandom;
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
 * What a notification costs the next draw: firing vm-snapshot on the real page and then
 * nextBytes(32) (a reseed from getrandom(2), then the draw), against a steady-state draw.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class ReseedCostBenchmark {
    private SecureRandom random;
    private Notifier vmSnapshot;
    private final byte[] out = new byte[32];

    @Setup
    public void setup() throws Exception {
        vmSnapshot = BenchPage.kernel().notifier("vm-snapshot");
        random = Generators.reseed("CTR_DRBG,AES-256,256");
    }

    @Benchmark
    public byte[] steadyDraw() {
        random.nextBytes(out);
        return out;
    }

    @Benchmark
    public byte[] firstDrawAfterNotification() {
        vmSnapshot.fire();
        random.nextBytes(out);
        return out;
    }
}
