package dev.reseeddrbg.page;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;

/**
 * Coverage-guided fuzzing of the page header check (Jazzer): whatever the bytes and the
 * length, verify either accepts the page or throws InvalidPageException, and an accepted
 * page's word and registry decode without error. Anything else (an index error, a
 * NullPointerException, a hang) is a finding. The fuzzer writes the header region and
 * picks the length, since a useful page is 4096 bytes and mostly zero.
 *
 * <p>{@code ./mvnw verify} fuzzes for 20 s; {@code JAZZER_MAX_DURATION=10m} fuzzes longer.
 */
class PageHeaderFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void anyBytesAreAcceptedOrRefusedCleanly(FuzzedDataProvider data) {
        boolean fullPage = data.consumeBoolean();
        int length = fullPage ? PageLayout.PAGE_SIZE : data.consumeInt(0, 2 * PageLayout.PAGE_SIZE);
        MemorySegment memory = MemorySegment.ofArray(new long[(length + 7) / 8]).asSlice(0, length);
        byte[] header = data.consumeBytes(Math.min(length, 512));
        MemorySegment.copy(MemorySegment.ofArray(header), 0, memory, 0, header.length);
        EpochPage page;
        try {
            page = EpochPage.verify(memory, null);
        } catch (InvalidPageException expected) {
            return;
        }
        int word = page.loadWord();
        page.describe(word);
        page.notifiers();
        page.notifierName(EpochWord.notifierId(word));
        page.notifierId(data.consumeRemainingAsAsciiString());
    }
}
