package dev.reseeddrbg.provider.drbg;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.reseeddrbg.provider.ConfigurationException;
import org.junit.jupiter.api.Assertions;

/**
 * Coverage-guided fuzzing of the reseeddrbg.config parser (Jazzer): any string parses to
 * a valid configuration that round-trips through toString(), or is refused with a
 * ConfigurationException that quotes it. {@link SettingsFuzzTest} does the same for every
 * other property (Jazzer fuzzes one target per class). {@code ./mvnw verify} fuzzes for 20 s;
 * {@code JAZZER_MAX_DURATION=10m} fuzzes longer.
 */
class ConfigParserFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void anyStringParsesOrIsRefusedWithItsName(String text) {
        DrbgConfig config;
        try {
            config = DrbgConfig.parse(text);
        } catch (ConfigurationException refused) {
            Assertions.assertTrue(refused.getMessage().startsWith("reseeddrbg.config '"), refused.getMessage());
            return;
        }
        Assertions.assertEquals(config, DrbgConfig.parse(config.toString()), "round trip of '" + text + "'");
        Assertions.assertTrue(config.strength() <= Mechanism.maxStrength(config.algorithm()));
    }
}
