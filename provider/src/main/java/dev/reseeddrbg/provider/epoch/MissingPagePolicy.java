package dev.reseeddrbg.provider.epoch;

import dev.reseeddrbg.provider.ConfigurationException;
import java.util.Arrays;

/** reseeddrbg.onMissingPage: what an instance does when its page is missing or unusable. */
public enum MissingPagePolicy {
    /** Bind to an in-process page with a 60 s timer notifier, and say so once at WARNING. */
    EMBEDDED("embedded"),
    /** Refuse: getInstance throws, naming the path and the reason. */
    FAIL("fail"),
    /** Reseed from the kernel before every draw: slow, but never stale. */
    RESEED_EVERY_DRAW("reseed-every-draw");

    private final String label;

    MissingPagePolicy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static MissingPagePolicy parse(String text) {
        for (MissingPagePolicy p : values()) {
            if (p.label.equalsIgnoreCase(text.trim())) {
                return p;
            }
        }
        throw new ConfigurationException("reseeddrbg.onMissingPage '" + text + "' is not valid; allowed: "
                + String.join(", ", Arrays.stream(values()).map(MissingPagePolicy::label).toList()));
    }
}
