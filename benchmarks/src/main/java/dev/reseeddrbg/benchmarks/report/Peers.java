package dev.reseeddrbg.benchmarks.report;

import java.util.List;

/** The generators the reports compare, by the names PeerBenchmark and ThreadScalingBenchmark give them. */
final class Peers {
    /** ReseedDRBG as a user gets it by default: CTR_DRBG AES-256. */
    static final String REFERENCE = "ReseedDRBG-CTR";
    static final String ACCP = "ACCP-LibCryptoRng";
    /** Every Java generator a user could pick instead: the JDK's, Bouncy Castle's, ACCP's. */
    static final List<String> JAVA_PEERS = List.of("JDK-DRBG", "JDK-DRBG-CTR", "JDK-DRBG-HMAC", "NativePRNG",
            "NativePRNGNonBlocking", "SHA1PRNG", "BC-Hash", "BC-HMAC", "BC-CTR", ACCP);

    private Peers() {
    }
}
