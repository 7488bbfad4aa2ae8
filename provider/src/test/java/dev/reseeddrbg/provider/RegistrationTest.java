package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.childjvm.RegistrationProbe;
import dev.reseeddrbg.provider.testing.ChildJvm;
import dev.reseeddrbg.simkernel.KernelPage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way of installing the provider, tested in a child JVM: installation is about JVM start-up. */
class RegistrationTest {
    static final Path SECURITY_FILE = Path.of("").toAbsolutePath().getParent().resolve("conf/reseed-drbg.security");

    @TempDir
    static Path dir;
    static Path page;
    static Path keystore;

    @BeforeAll
    static void setUp() throws Exception {
        page = dir.resolve("epoch");
        KernelPage.initialize(page).close();
        keystore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, output);
    }

    private static void assertJdkCodeDrawsFromReseedDrbg(Map<String, String> v, String all) {
        long start = Long.parseLong(v.get("instantiated.start"));
        assertTrue(start >= 1, all);
        assertTrue(Long.parseLong(v.get("instantiated.uuid")) > start, "UUID.randomUUID drew from ReseedDRBG\n" + all);
        assertTrue(Long.parseLong(v.get("instantiated.keypair")) > Long.parseLong(v.get("instantiated.uuid")),
                "KeyPairGenerator without a SecureRandom drew from ReseedDRBG\n" + all);
        assertTrue(Long.parseLong(v.get("instantiated.tls")) > Long.parseLong(v.get("instantiated.keypair")),
                "the TLS handshake drew from ReseedDRBG\n" + all);
        assertTrue(v.get("tls").startsWith("TLSv1.3"), all);
    }

    @Test
    void securityPropertiesFileOnTheClassPath() throws Exception {
        assertTrue(Files.isRegularFile(SECURITY_FILE), SECURITY_FILE.toString());
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED",
                "-Djava.security.properties=" + SECURITY_FILE, "-Dreseeddrbg.page=" + page),
                RegistrationProbe.class, "none", keystore.toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, String> v = r.values();
        assertTrue(v.get("providers").startsWith("ReseedDRBG,SUN,SunRsaSign,"), r.toString());
        assertEquals("ReseedDRBG", v.get("default"), r.toString());
        assertEquals("ReseedDRBG", v.get("strong"), r.toString());
        assertEquals("null", v.get("module"), "loaded from the class path, META-INF/services");
        assertEquals("getrandom(2)", v.get("entropy"), r.toString());
        assertJdkCodeDrawsFromReseedDrbg(v, r.toString());
        assertFalse(r.err().contains("WARNING: A restricted method"), "no native-access warning\n" + r);
    }

    @Test
    void securityPropertiesFileOnTheModulePath() throws Exception {
        String modulePath = String.join(File.pathSeparator, ChildJvm.entry("provider/target/classes"),
                ChildJvm.entry("epoch-page"), ChildJvm.entry("bcprov-jdk18on"));
        ChildJvm.Result r = ChildJvm.run(List.of("--module-path", modulePath, "--add-modules", "dev.reseeddrbg.provider",
                "--enable-native-access=dev.reseeddrbg.provider", "-Djava.security.properties=" + SECURITY_FILE,
                "-Dreseeddrbg.page=" + page), ChildJvm.entry("provider/target/test-classes"),
                RegistrationProbe.class, "none", keystore.toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, String> v = r.values();
        assertEquals("dev.reseeddrbg.provider", v.get("module"), "found through the module's provides clause\n" + r);
        assertEquals("ReseedDRBG", v.get("default"), r.toString());
        assertEquals("ReseedDRBG", v.get("strong"), r.toString());
        assertJdkCodeDrawsFromReseedDrbg(v, r.toString());
        assertFalse(r.err().contains("WARNING: A restricted method"), "no native-access warning\n" + r);
    }

    @Test
    void installPutsItFirst() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED", "-Dreseeddrbg.page=" + page),
                RegistrationProbe.class, "install", keystore.toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, String> v = r.values();
        assertTrue(v.get("providers").startsWith("ReseedDRBG,SUN,"), r.toString());
        assertEquals("ReseedDRBG", v.get("default"), r.toString());
        assertJdkCodeDrawsFromReseedDrbg(v, r.toString());
    }

    @Test
    void addProviderMakesItAvailableByNameOnly() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("--enable-native-access=ALL-UNNAMED", "-Dreseeddrbg.page=" + page),
                RegistrationProbe.class, "add");
        assertEquals(0, r.exit(), r.toString());
        Map<String, String> v = r.values();
        assertTrue(v.get("providers").endsWith(",ReseedDRBG"), r.toString());
        assertNotEquals("ReseedDRBG", v.get("default"), "the JDK's own providers keep precedence\n" + r);
        assertEquals("ReseedDRBG", v.get("named"), r.toString());
    }

    @Test
    void withoutNativeAccessItFallsBackToUrandomSilently() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of("-Dreseeddrbg.page=" + page), RegistrationProbe.class, "install");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("ReseedDRBG", r.values().get("named"), r.toString());
        assertEquals("/dev/urandom", r.values().get("entropy"), r.toString());
        assertFalse(r.err().contains("restricted method"), "no native-access warning\n" + r);
    }
}
