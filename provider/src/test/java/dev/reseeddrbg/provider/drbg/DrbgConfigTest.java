package dev.reseeddrbg.provider.drbg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.DrbgParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DrbgConfigTest {

    @Test
    void defaultIsCtrAes256() {
        DrbgConfig c = DrbgConfig.parse(null);
        assertEquals(Mechanism.CTR_DRBG, c.mechanism());
        assertEquals("AES-256", c.algorithm());
        assertEquals(256, c.strength());
        assertEquals(DrbgParameters.Capability.RESEED_ONLY, c.capability());
        assertEquals(DrbgConfig.DEFAULT, c.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Hash_DRBG,SHA-512,256,pr_and_reseed | Hash_DRBG,SHA-512,256,pr_and_reseed",
        "hmac_drbg , sha-384                 | HMAC_DRBG,SHA-384,256,reseed_only",
        "AES-128                             | CTR_DRBG,AES-128,128,reseed_only",
        "SHA-224                             | Hash_DRBG,SHA-224,192,reseed_only",
        "CTR_DRBG,112,use_df                 | CTR_DRBG,AES-256,128,reseed_only",
        "256,reseed_only,CTR_DRBG,AES-256    | CTR_DRBG,AES-256,256,reseed_only",
    })
    void parsesTheJdkSyntaxInAnyOrder(String text, String expected) {
        assertEquals(expected, DrbgConfig.parse(text).toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Dual_EC_DRBG             | 'Dual_EC_DRBG' is not valid; allowed: mechanism Hash_DRBG",
        "CTR_DRBG,SHA-256         | CTR_DRBG with SHA-256 is not valid",
        "CTR_DRBG,AES-128,256     | AES-128 supports at most 128",
        "Hash_DRBG,SHA-224,256    | SHA-224 supports at most 192",
        "Hash_DRBG,100            | strength 100 is not valid",
        "CTR_DRBG,none            | capability none is not valid",
        "CTR_DRBG,no_df           | only CTR_DRBG with the derivation function",
        "CTR_DRBG,,AES-256        | an empty part",
        "CTR_DRBG,Hash_DRBG       | a second mechanism",
        "SHA-1                    | 'SHA-1' is not valid",
        "11111111111111111111111  | strength 11111111111111111111111 is not valid",
    })
    void badValuesNameTheValueAndTheAllowedOnes(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DrbgConfig.parse(text));
        assertTrue(e.getMessage().startsWith("reseeddrbg.config '" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
