package dev.reseeddrbg.provider.drbg;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.reseeddrbg.provider.ConfigurationException;
import dev.reseeddrbg.provider.engine.ProviderSettings;
import java.time.Duration;
import org.junit.jupiter.api.Assertions;

/**
 * The config parser's fuzz target extended to every property (Jazzer, coverage-guided):
 * any value parses to one within the README's bounds, or is refused with a
 * ConfigurationException that names the property, never another exception (which the
 * provider would turn into NoSuchAlgorithmException, and the JCA would skip silently).
 * A separate class because Jazzer fuzzes one target per class. {@code ./mvnw verify}
 * fuzzes for 20 s.
 */
class SettingsFuzzTest {

    /**
     * Each property given either the raw fuzzed text or a shape built from fuzzed parts:
     * a number with a unit (10000000000s, 153722867280913m), an ISO-8601 duration
     * (PT2562048H), a path with a NUL or other odd characters in it.
     */
    @FuzzTest(maxDuration = "20s")
    void everyPropertyParsesWithinItsBoundsOrIsRefusedWithItsName(FuzzedDataProvider data) {
        long number = data.consumeLong();
        String unit = data.pickValue(new String[] {"ms", "s", "m", "h", "", "S", "H", "M"});
        String text = data.consumeRemainingAsString();
        String[] values = {text, Long.toUnsignedString(number) + unit, Math.abs(number % 10_000_000_000_000_000L) + unit,
            "PT" + number + unit.toUpperCase(java.util.Locale.ROOT), "P" + number + "D", "/run/" + text, text + "_" + number};
        for (String value : values) {
            for (String name : ProviderSettings.NAMES) {
                ProviderSettings settings;
                try {
                    settings = ProviderSettings.from(n -> n.equals(name) ? value : null);
                } catch (ConfigurationException refused) {
                    Assertions.assertTrue(refused.getMessage().startsWith(name + " '"), refused.getMessage());
                    continue;
                }
                Assertions.assertTrue(settings.page().isAbsolute() && settings.page().toString().indexOf('\0') < 0);
                Assertions.assertTrue(settings.reseedInterval() >= 1 && settings.reseedInterval() <= 1L << 48);
                Assertions.assertTrue(settings.bufferSize() >= 0 && settings.bufferSize() <= Mechanism.MAX_BYTES_PER_REQUEST);
                for (Duration d : new Duration[] {settings.reseedAge(), settings.entropyTimeout()}) {
                    Assertions.assertTrue(d.toNanos() >= 1_000_000 && d.compareTo(Duration.ofDays(1)) <= 0,
                            name + " '" + value + "' gave " + d);
                }
            }
        }
    }
}
