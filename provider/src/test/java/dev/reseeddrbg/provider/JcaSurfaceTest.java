package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.testing.PageFixture;
import dev.reseeddrbg.provider.testing.ProviderCounters;
import dev.reseeddrbg.provider.testing.TestEntropySources;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Path;
import java.security.DrbgParameters;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.SecureRandomParameters;
import java.util.Arrays;
import java.util.HashSet;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What a JCA user does with a SecureRandom, against a real page. */
class JcaSurfaceTest {
    private static final ReseedProvider PROVIDER = new ReseedProvider();

    @TempDir
    Path dir;
    private PageFixture page;

    @BeforeEach
    void page() throws Exception {
        page = new PageFixture(dir);
    }

    @AfterEach
    void close() {
        page.close();
    }

    @Test
    void serviceIsThreadSafeAndFoundByServiceLoader() {
        Provider.Service service = PROVIDER.getService("SecureRandom", "ReseedDRBG");
        assertNotNull(service);
        assertEquals("true", service.getAttribute("ThreadSafe"));
        boolean found = ServiceLoader.load(Provider.class).stream()
                .anyMatch(p -> p.type() == ReseedProvider.class);
        assertTrue(found, "META-INF/services/java.security.Provider lists ReseedProvider");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hash_DRBG,SHA-256", "Hash_DRBG,SHA-512", "HMAC_DRBG,SHA-256", "HMAC_DRBG,SHA-384",
            "CTR_DRBG,AES-128", "CTR_DRBG,AES-192", "CTR_DRBG,AES-256"})
    void everyMechanismDraws(String config) throws Exception {
        page.set("reseeddrbg.config", config);
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        for (int size : new int[] {16, 32, 33, 1000, 5000, 70_000}) {
            byte[] first = new byte[size];
            byte[] second = new byte[size];
            random.nextBytes(first);
            random.nextBytes(second);
            assertFalse(Arrays.equals(first, second), "two draws of " + size + " bytes are equal");
        }
        // No 16-byte block repeats within one long draw (a stuck counter or a buffer served
        // twice would repeat them; by chance, never at this length).
        byte[] whole = new byte[70_000];
        random.nextBytes(whole);
        Set<String> blocks = new HashSet<>();
        for (int off = 0; off + 16 <= whole.length; off += 16) {
            assertTrue(blocks.add(Arrays.toString(Arrays.copyOfRange(whole, off, off + 16))),
                    "the 16-byte block at " + off + " repeats an earlier one");
        }
        assertTrue(random.toString().contains(config.split(",")[0]), random.toString());
    }

    @Test
    void instantiationParametersAreHonoured() throws Exception {
        byte[] ps = "my app".getBytes();
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG",
                DrbgParameters.instantiation(128, DrbgParameters.Capability.PR_AND_RESEED, ps), PROVIDER);
        DrbgParameters.Instantiation p = assertInstanceOf(DrbgParameters.Instantiation.class, random.getParameters());
        assertEquals(128, p.getStrength());
        assertEquals(DrbgParameters.Capability.PR_AND_RESEED, p.getCapability());
        assertArrayEquals(ps, p.getPersonalizationString());
        byte[] out = new byte[32];
        random.nextBytes(out, DrbgParameters.nextBytes(128, true, "extra".getBytes()));
        assertFalse(TestEntropySources.allZero(out));
    }

    @Test
    void defaultParametersComeFromTheConfig() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        DrbgParameters.Instantiation p = (DrbgParameters.Instantiation) random.getParameters();
        assertEquals(256, p.getStrength());
        assertEquals(DrbgParameters.Capability.RESEED_ONLY, p.getCapability());
        assertEquals("ReseedDRBG", random.getAlgorithm());
    }

    @Test
    void unsupportedParametersAreRejectedSoGetInstanceMovesOn() {
        SecureRandomParameters foreign = new SecureRandomParameters() {
        };
        NoSuchAlgorithmException e = assertThrows(NoSuchAlgorithmException.class,
                () -> SecureRandom.getInstance("ReseedDRBG", foreign, PROVIDER));
        assertTrue(rootMessage(e).contains("DrbgParameters.Instantiation"), rootMessage(e));
        page.set("reseeddrbg.config", "CTR_DRBG,AES-128");
        NoSuchAlgorithmException tooStrong = assertThrows(NoSuchAlgorithmException.class,
                () -> SecureRandom.getInstance("ReseedDRBG", DrbgParameters.instantiation(256,
                        DrbgParameters.Capability.RESEED_ONLY, null), PROVIDER));
        assertTrue(rootMessage(tooStrong).contains("strength 256 is not available"), rootMessage(tooStrong));
    }

    @Test
    void nextBytesParametersAreChecked() throws Exception {
        page.set("reseeddrbg.config", "Hash_DRBG,SHA-256,128");
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        byte[] out = new byte[8];
        IllegalArgumentException strength = assertThrows(IllegalArgumentException.class,
                () -> random.nextBytes(out, DrbgParameters.nextBytes(256, false, null)));
        assertTrue(strength.getMessage().contains("strength 256"), strength.getMessage());
        IllegalArgumentException pr = assertThrows(IllegalArgumentException.class,
                () -> random.nextBytes(out, DrbgParameters.nextBytes(-1, true, null)));
        assertTrue(pr.getMessage().contains("PR_AND_RESEED"), pr.getMessage());
        assertThrows(IllegalArgumentException.class, () -> random.reseed(DrbgParameters.reseed(true, null)));
    }

    @Test
    void reseedAndSetSeedMixInFreshEntropy() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        random.nextBytes(new byte[8]);
        long explicit = ProviderCounters.reseeds("explicit");
        random.reseed();
        assertTrue(ProviderCounters.reseeds("explicit") > explicit);
        random.reseed(DrbgParameters.reseed(false, "more".getBytes()));
        long afterReseed = ProviderCounters.reseeds("explicit");
        random.setSeed(42L);
        random.setSeed(new byte[] {1, 2, 3});
        assertTrue(ProviderCounters.reseeds("explicit") > afterReseed, "setSeed reseeds every state");
        // setSeed mixes in: two instances given the same seed still differ.
        SecureRandom other = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        other.setSeed(new byte[] {1, 2, 3});
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        random.nextBytes(a);
        other.nextBytes(b);
        assertFalse(Arrays.equals(a, b));
    }

    @Test
    void generateSeedIsFreshKernelEntropy() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        byte[] a = random.generateSeed(32);
        byte[] b = random.generateSeed(32);
        assertEquals(32, a.length);
        assertFalse(Arrays.equals(a, b));
        assertEquals(0, random.generateSeed(0).length);
        assertThrows(IllegalArgumentException.class, () -> random.generateSeed(-1));
    }

    @Test
    void toStringNamesMechanismStrengthPageAndWord() throws Exception {
        page.notify("vm-snapshot");
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        String s = random.toString();
        assertTrue(s.contains("CTR_DRBG,AES-256,256,reseed_only"), s);
        assertTrue(s.contains("page=" + page.path()), s);
        assertTrue(s.contains("0x01000001"), s);
        assertTrue(s.contains("vm-snapshot"), s);
    }

    @Test
    void serializationCarriesNoStateAndReinstantiates() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        random.nextBytes(new byte[32]);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(random);
        }
        SecureRandom copy1;
        SecureRandom copy2;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy1 = (SecureRandom) in.readObject();
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy2 = (SecureRandom) in.readObject();
        }
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        byte[] c = new byte[32];
        random.nextBytes(a);
        copy1.nextBytes(b);
        copy2.nextBytes(c);
        assertFalse(Arrays.equals(a, b));
        assertFalse(Arrays.equals(b, c), "two copies of one serialized instance must not replay each other");
        assertEquals(random.getParameters().toString(), copy1.getParameters().toString());
    }

    @Test
    void largeRequestsAreSplitTransparently() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        byte[] big = new byte[3 * 32768 + 5];
        random.nextBytes(big);
        // No 32 KiB chunk repeats another, and the tail is filled.
        byte[] c0 = Arrays.copyOfRange(big, 0, 32768);
        byte[] c1 = Arrays.copyOfRange(big, 32768, 65536);
        assertFalse(Arrays.equals(c0, c1));
        assertFalse(TestEntropySources.allZero(Arrays.copyOfRange(big, big.length - 5, big.length)));
    }

    /** Issue 16 item 4: the additional input a request carries is bounded, since split requests process it again per part. */
    @Test
    void additionalInputIsBoundedPerRequest() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        byte[] out = new byte[1 << 20];
        random.nextBytes(out, DrbgParameters.nextBytes(-1, false, new byte[65536])); // the bound itself is fine
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> random.nextBytes(out, DrbgParameters.nextBytes(-1, false, new byte[65537])));
        assertTrue(e.getMessage().contains("additional input of 65537 bytes is above the 65536"), e.getMessage());
        random.reseed(DrbgParameters.reseed(false, new byte[1 << 20])); // mixed in once: not bounded
    }

    @Test
    void stuckEntropySourceFailsInsteadOfProducing() throws Exception {
        page.set("reseeddrbg.entropySource", "test-stuck");
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        byte[] out = new byte[32];
        java.security.ProviderException e = assertThrows(java.security.ProviderException.class,
                () -> random.nextBytes(out));
        assertTrue(e.getMessage().contains("health test failed"), e.getMessage());
        assertTrue(TestEntropySources.allZero(out), "nothing was written");
        assertThrows(java.security.ProviderException.class, () -> random.nextBytes(out), "and it stays failed");
    }

    /** generateSeed reads the entropy source through the same health tests as a draw. */
    @Test
    void generateSeedFromAStuckEntropySourceFailsAsADrawDoes() throws Exception {
        page.set("reseeddrbg.entropySource", "test-stuck");
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        java.security.ProviderException e = assertThrows(java.security.ProviderException.class,
                () -> random.generateSeed(32));
        assertTrue(e.getMessage().contains("health test failed"), e.getMessage());
        SecureRandom other = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        other.generateSeed(16); // one block: nothing to compare it with yet
        assertThrows(java.security.ProviderException.class, () -> other.generateSeed(16), "the same block again");
    }

    /** Issue 15 item 15: a source alternating between two blocks fails the health test. */
    @Test
    void cyclingEntropySourceFailsInsteadOfProducing() throws Exception {
        page.set("reseeddrbg.entropySource", "test-cycling");
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        byte[] out = new byte[32];
        java.security.ProviderException e = assertThrows(java.security.ProviderException.class,
                () -> random.nextBytes(out));
        assertTrue(e.getMessage().contains("health test failed"), e.getMessage());
        assertTrue(TestEntropySources.allZero(out));
    }

    @Test
    void failingEntropySourceFailsInsteadOfProducing() throws Exception {
        page.set("reseeddrbg.entropySource", "test-failing");
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        byte[] out = new byte[32];
        assertThrows(java.security.ProviderException.class, () -> random.nextBytes(out));
        assertTrue(TestEntropySources.allZero(out));
    }

    @Test
    void unknownEntropySourceNamesTheAvailableOnes() {
        page.set("reseeddrbg.entropySource", "hsm-9000");
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> SecureRandom.getInstance("ReseedDRBG", PROVIDER));
        assertTrue(e.getMessage().contains("'hsm-9000' is not available; found: kernel"), e.getMessage());
    }

    @Test
    void manyVirtualThreadsShareAFewStates() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        long before = ProviderCounters.reseeds("instantiate");
        java.util.List<java.util.concurrent.Future<?>> draws = new java.util.ArrayList<>(100_000);
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 100_000; i++) {
                draws.add(executor.submit(() -> random.nextBytes(new byte[16])));
            }
        }
        for (java.util.concurrent.Future<?> draw : draws) {
            draw.get(); // a draw that threw fails the test
        }
        long states = ProviderCounters.reseeds("instantiate") - before;
        int maxStates = Integer.highestOneBit(Math.max(1, Runtime.getRuntime().availableProcessors() * 2 - 1)) << 1;
        assertTrue(states >= 1 && states <= maxStates, states + " states for 100,000 threads");
    }

    /** Issue 15 item 3: on a PR_AND_RESEED instance, nextBytes(byte[]) is the call with prediction resistance. */
    @Test
    void plainNextBytesUsesTheInstantiatedPredictionResistance() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG",
                DrbgParameters.instantiation(256, DrbgParameters.Capability.PR_AND_RESEED, null), PROVIDER);
        random.nextBytes(new byte[8]);
        long before = ProviderCounters.reseeds("prediction-resistance");
        for (int i = 0; i < 10; i++) {
            random.nextBytes(new byte[8]);
        }
        random.nextInt();
        assertEquals(before + 11, ProviderCounters.reseeds("prediction-resistance"),
                "every plain draw of a PR_AND_RESEED instance reseeds first, as DrbgParameters and the JDK's DRBG do");
        SecureRandom plain = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
        plain.nextBytes(new byte[8]);
        long quiet = ProviderCounters.reseeds("prediction-resistance");
        plain.nextBytes(new byte[8]);
        assertEquals(quiet, ProviderCounters.reseeds("prediction-resistance"), "a RESEED_ONLY instance does not");
    }

    /** Issue 15 item 2: readObject is as strict as getInstance. */
    @Test
    void aCraftedSerializedInstanceIsRefused() throws Exception {
        for (Object[] bad : new Object[][] {{"strength", 0}, {"strength", 100}, {"strength", 512},
                {"capability", DrbgParameters.Capability.NONE}}) {
            // The engine is what a SecureRandom's stream carries; edit one as an attacker would.
            Object spi = new dev.reseeddrbg.provider.engine.ReseedDrbgSpi(null);
            java.lang.reflect.Field field = spi.getClass().getDeclaredField((String) bad[0]);
            field.setAccessible(true);
            field.set(spi, bad[1]);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(spi);
            }
            java.io.InvalidObjectException e = assertThrows(java.io.InvalidObjectException.class, () -> {
                try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                    in.readObject();
                }
            }, bad[0] + " " + bad[1]);
            assertTrue(e.getMessage().contains(bad[0] + " " + bad[1]) && e.getMessage().contains("refused"),
                    e.getMessage());
        }
    }

    /** Issue 15 item 17: a requested strength is a minimum; 0 and 1 are met by 128. */
    @Test
    void strengthZeroAndOneAreMetBy128() throws Exception {
        for (int requested : new int[] {0, 1}) {
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG",
                    DrbgParameters.instantiation(requested, DrbgParameters.Capability.RESEED_ONLY, null), PROVIDER);
            assertEquals(128, ((DrbgParameters.Instantiation) random.getParameters()).getStrength());
            random.nextBytes(new byte[16]);
        }
    }

    /** Issue 15 item 18: getParameters() returns the personalization string it was given, an empty one too. */
    @Test
    void anEmptyPersonalizationStringComesBackEmpty() throws Exception {
        SecureRandom random = SecureRandom.getInstance("ReseedDRBG",
                DrbgParameters.instantiation(256, DrbgParameters.Capability.RESEED_ONLY, new byte[0]), PROVIDER);
        byte[] ps = ((DrbgParameters.Instantiation) random.getParameters()).getPersonalizationString();
        assertNotNull(ps, "the empty string, not null");
        assertEquals(0, ps.length);
        random.nextBytes(new byte[16]);
        assertFalse(random.toString().contains("personalized"), random.toString());
    }

    static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getMessage()).append(" | ");
        }
        return all.toString();
    }
}
