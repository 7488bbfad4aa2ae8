package dev.reseeddrbg.benchmarks;

import java.security.GeneralSecurityException;
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

/** One thread, one instance: nextBytes(size) of ReseedDRBG and of every peer a user would pick instead. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class PeerBenchmark {
    @Param({Generators.RESEED_CTR, Generators.RESEED_HASH, Generators.RESEED_HMAC, "JDK-DRBG", "JDK-DRBG-CTR",
            "JDK-DRBG-HMAC", "NativePRNG", "NativePRNGNonBlocking", "SHA1PRNG", "BC-Hash", "BC-HMAC", "BC-CTR",
            Generators.ACCP, "getrandom"})
    public String generator;

    @Param({"16", "32", "64", "1024", "16384"})
    public int size;

    private Generators.Drawer drawer;
    private byte[] out;

    @Setup
    public void setup() throws GeneralSecurityException {
        drawer = Generators.create(generator);
        out = new byte[size];
    }

    @Benchmark
    public byte[] nextBytes() {
        drawer.next(out);
        return out;
    }
}
