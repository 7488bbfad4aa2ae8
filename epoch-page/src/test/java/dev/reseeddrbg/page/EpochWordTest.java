package dev.reseeddrbg.page;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class EpochWordTest {

    @Test
    void encodesIdInTopByteAndEpochInLowBits() {
        int word = EpochWord.of(0xAB, 0x123456);
        assertEquals(0xAB123456, word);
        assertEquals(0xAB, EpochWord.notifierId(word));
        assertEquals(0x123456, EpochWord.epoch(word));
    }

    @Test
    void nextAdvancesCounterAndWritesId() {
        int word = EpochWord.of(1, 41);
        int next = EpochWord.next(word, 7);
        assertEquals(7, EpochWord.notifierId(next));
        assertEquals(42, EpochWord.epoch(next));
    }

    @Test
    void counterWrapsAt2To24AndWordStillChanges() {
        int last = EpochWord.of(3, EpochWord.EPOCH_MASK);
        int wrapped = EpochWord.next(last, 3);
        assertEquals(0, EpochWord.epoch(wrapped));
        assertEquals(3, EpochWord.notifierId(wrapped));
        assertNotEquals(last, wrapped);
        // Same notifier, one full cycle of 2^24 notifications: the only way to repeat a word.
        int w = last;
        for (int i = 0; i < (1 << 24); i++) {
            w = EpochWord.next(w, 3);
        }
        assertEquals(last, w);
    }

    @Test
    void notifierIdsOutOfRangeAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> EpochWord.of(256, 0));
        assertThrows(IllegalArgumentException.class, () -> EpochWord.of(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> EpochWord.of(1, 1 << 24));
    }

    @Test
    void describePrintsHexAndFields() {
        assertEquals("0x02000005 notifier=timer(2) epoch=5", EpochWord.describe(EpochWord.of(2, 5), "timer"));
    }
}
