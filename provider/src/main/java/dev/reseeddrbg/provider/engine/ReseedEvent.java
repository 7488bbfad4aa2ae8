package dev.reseeddrbg.provider.engine;

import dev.reseeddrbg.provider.drbg.DrbgConfig;
import dev.reseeddrbg.provider.epoch.EpochBinding;
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

    /** Fills in and commits the event begun before {@code state} was seeded, if JFR records it. */
    void commitIfEnabled(ReseedCause why, int previousWord, int word, EpochBinding binding, DrbgConfig config,
                         Object state) {
        if (!shouldCommit()) {
            return;
        }
        this.cause = why.label();
        this.oldWord = previousWord;
        this.newWord = word;
        this.notifier = binding.notifierName(word);
        this.mechanism = config.mechanism().standardName() + " " + config.algorithm();
        this.state = System.identityHashCode(state);
        commit();
    }
}
