package dev.reseeddrbg.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reseeddrbg.provider.testing.PageFixture;
import dev.reseeddrbg.provider.testing.ProviderCounters;
import dev.reseeddrbg.simkernel.KernelPage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** reseeddrbg.onMissingPage and the page checks a reader makes. */
class MissingPagePolicyTest {
    private static final ReseedProvider PROVIDER = new ReseedProvider();

    @TempDir
    Path dir;

    @Test
    void failNamesThePathAndReason() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            Path missing = dir.resolve("no-such-page");
            page.set("reseeddrbg.page", missing.toString()).set("reseeddrbg.onMissingPage", "fail");
            NoSuchAlgorithmException e = assertThrows(NoSuchAlgorithmException.class,
                    () -> SecureRandom.getInstance("ReseedDRBG", PROVIDER));
            assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"),
                    e.getMessage());
        }
    }

    @Test
    void embeddedFallbackIsVisibleAndStillDraws() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.page", dir.resolve("absent").toString());
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            byte[] out = new byte[32];
            random.nextBytes(out);
            assertTrue(random.toString().contains("embedded"), random.toString());
            assertEquals("embedded", ProviderCounters.attribute("NotificationSource"));
        }
    }

    /**
     * A fallback is a state an instance leaves: once a trusted page is at the configured
     * path again (the daemon is back), a long-lived instance that fell back rebinds to it
     * and sees its notifications.
     */
    @Test
    void anInstanceOnTheFallbackRebindsWhenThePageIsBack() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            Path later = dir.resolve("later");
            page.set("reseeddrbg.page", later.toString()).set("reseeddrbg.bufferSize", "64");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[32]);
            assertTrue(random.toString().contains("embedded"), random.toString());
            try (KernelPage daemon = KernelPage.initialize(later)) {
                Thread.sleep(1100); // a fallback looks for the page at most once a second
                random.nextBytes(new byte[128]); // refills: looks, and rebinds
                assertTrue(random.toString().contains("page=" + later), random.toString());
                assertEquals("page", ProviderCounters.attribute("NotificationSource"));
                long before = ProviderCounters.reseeds("epoch-change");
                daemon.notifier("vm-snapshot").fire();
                random.nextBytes(new byte[16]);
                assertEquals(before + 1, ProviderCounters.reseeds("epoch-change"),
                        "the daemon's notification reseeds the instance that had fallen back");
            }
        }
    }

    @Test
    void reseedEveryDrawReseedsEveryDraw() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.page", dir.resolve("absent").toString())
                    .set("reseeddrbg.onMissingPage", "reseed-every-draw");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[8]);
            long before = ProviderCounters.reseeds("every-draw");
            for (int i = 0; i < 10; i++) {
                random.nextBytes(new byte[8]);
            }
            assertEquals(before + 10, ProviderCounters.reseeds("every-draw"));
        }
    }

    @Test
    void untrustedPagesAreRefused() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.onMissingPage", "fail");
            Path writable = dir.resolve("writable");
            Files.copy(page.path(), writable);
            Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rw-rw-rw-"));
            page.set("reseeddrbg.page", writable.toString());
            assertTrue(assertThrows(NoSuchAlgorithmException.class, () -> SecureRandom.getInstance("ReseedDRBG",
                    PROVIDER)).getMessage().contains("group- or world-writable"));

            Path link = Files.createSymbolicLink(dir.resolve("link"), page.path());
            page.set("reseeddrbg.page", link.toString());
            assertTrue(assertThrows(NoSuchAlgorithmException.class, () -> SecureRandom.getInstance("ReseedDRBG",
                    PROVIDER)).getMessage().contains("symbolic link"));

            Path shortFile = dir.resolve("short");
            Files.write(shortFile, new byte[10]);
            page.set("reseeddrbg.page", shortFile.toString());
            assertTrue(assertThrows(NoSuchAlgorithmException.class, () -> SecureRandom.getInstance("ReseedDRBG",
                    PROVIDER)).getMessage().contains("10 bytes"));

            page.set("reseeddrbg.page", dir.toString());
            assertTrue(assertThrows(NoSuchAlgorithmException.class, () -> SecureRandom.getInstance("ReseedDRBG",
                    PROVIDER)).getMessage().contains("directory"));
        }
    }

    /** Issue 15 item 4: an interrupted caller binds to the page, never to a fallback, and keeps its interrupt. */
    @Test
    void anInterruptedCallerStillBindsToThePage() throws Exception {
        for (String policy : new String[] {"fail", "embedded"}) {
            Path sub = Files.createDirectory(dir.resolve(policy));
            try (PageFixture page = new PageFixture(sub)) {
                page.set("reseeddrbg.onMissingPage", policy);
                Thread.currentThread().interrupt();
                SecureRandom random;
                try {
                    random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
                    assertTrue(Thread.currentThread().isInterrupted(), "the caller's interrupt flag is kept");
                } finally {
                    Thread.interrupted();
                }
                assertTrue(random.toString().contains("page=" + page.path()), policy + ": " + random);
            }
        }
    }

    /** Issue 15 item 5: the page's directory must be writable only by root or the page's owner. */
    @Test
    void aPageInADirectoryOthersCanWriteIsRefused() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        try (PageFixture page = new PageFixture(open)) {
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
            page.set("reseeddrbg.onMissingPage", "fail");
            NoSuchAlgorithmException e = assertThrows(NoSuchAlgorithmException.class,
                    () -> SecureRandom.getInstance("ReseedDRBG", PROVIDER));
            assertTrue(e.getMessage().contains("which group or others can write"), e.getMessage());
        }
    }

    /** Issue 15 item 5: a page that becomes writable by others after it was bound stops being trusted. */
    @Test
    void aPageThatBecomesUntrustedAfterBindingIsLeft() throws Exception {
        try (PageFixture page = new PageFixture(dir)) {
            page.set("reseeddrbg.onMissingPage", "fail").set("reseeddrbg.bufferSize", "64");
            SecureRandom random = SecureRandom.getInstance("ReseedDRBG", PROVIDER);
            random.nextBytes(new byte[32]);
            Files.setPosixFilePermissions(page.path(), PosixFilePermissions.fromString("rw-rw-rw-"));
            Thread.sleep(150); // the file is looked at no more than every 100 ms, when a state refills
            java.security.ProviderException e = assertThrows(java.security.ProviderException.class,
                    () -> random.nextBytes(new byte[128]));
            assertTrue(e.getMessage().contains("group- or world-writable"), e.getMessage());
        }
    }

    @Test
    void invalidPropertiesAreRejectedAtGetInstance() throws Exception {
        String[][] cases = {
            {"reseeddrbg.onMissingPage", "ignore", "allowed: embedded, fail, reseed-every-draw"},
            {"reseeddrbg.reseedInterval", "0", "whole number from 1"},
            {"reseeddrbg.reseedAge", "soon", "positive duration"},
            {"reseeddrbg.bufferSize", "-1", "whole number from 0"},
            {"reseeddrbg.bufferSize", "65536", "to 32768"},
            {"reseeddrbg.config", "MD5", "'MD5' is not valid"},
            // Issue 15 item 16: values past what a nanosecond count or a path can hold.
            {"reseeddrbg.reseedAge", "10000000000s", "positive duration from 1ms to 1440m"},
            {"reseeddrbg.reseedAge", "PT2562048H", "positive duration from 1ms to 1440m"},
            {"reseeddrbg.reseedAge", "153722867280913m", "positive duration from 1ms to 1440m"},
            {"reseeddrbg.reseedAge", "153722867280912931m", "positive duration from 1ms to 1440m"},
            {"reseeddrbg.reseedAge", "PT0.0001S", "positive duration from 1ms"},
            {"reseeddrbg.page", "/run/reseeddrbg/ep\0och", "contains a NUL character"},
            {"reseeddrbg.page", "run/reseeddrbg/epoch", "is not an absolute path"},
            {"reseeddrbg.reseedInterval", "+5", "whole number from 1"},
            {"reseeddrbg.reseedInterval", "99999999999999999999", "whole number from 1"},
            {"reseeddrbg.entropyTimeout", "0s", "positive duration from 1ms to 10m"},
            {"reseeddrbg.entropyTimeout", "11m", "positive duration from 1ms to 10m"},
        };
        for (String[] c : cases) {
            try (PageFixture page = new PageFixture(dir.resolve(c[0]).toFile().mkdirs() ? dir.resolve(c[0]) : dir)) {
                page.set(c[0], c[1]);
                // A misconfiguration is loud: IllegalArgumentException, not a silent move to
                // the next provider.
                ConfigurationException e = assertThrows(ConfigurationException.class,
                        () -> SecureRandom.getInstance("ReseedDRBG", PROVIDER), c[0]);
                String all = e.getMessage();
                assertTrue(all.contains(c[0]) && all.contains(c[2]), all);
            }
        }
    }
}
