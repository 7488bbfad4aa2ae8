package dev.reseeddrbg.provider.engine;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** One reseed (or instantiation) of one DRBG state; {@code jfr print --events dev.reseeddrbg.Reseed}. */
@Name("dev.reseeddrbg.Reseed")
@Label("ReseedDRBG Reseed")
@Category({"Security", "ReseedDRBG"})
@Description("A ReseedDRBG state was seeded with fresh entropy")
@StackTrace(false)
final class ReseedEvent extends Event {
    @Label("Cause")
    String cause;
    @Label("Old Word")
    @Description("The page word the state was seeded under before")
    int oldWord;
    @Label("New Word")
    @Description("The page word the state is seeded under now")
    int newWord;
    @Label("Notifier")
    @Description("The notifier that wrote the new word, when the page names it")
    String notifier;
    @Label("Mechanism")
    String mechanism;
    @Label("State")
    @Description("Which DRBG state (an instance has a few, one per stripe), to follow one state's history")
    int state;
}
