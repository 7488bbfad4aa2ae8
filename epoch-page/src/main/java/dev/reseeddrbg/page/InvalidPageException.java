package dev.reseeddrbg.page;

import java.io.IOException;
import java.nio.file.Path;

/** A file or memory region that is not a valid epoch page; the message says why and what to do. */
public final class InvalidPageException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String problem;

    public InvalidPageException(Path path, String problem) {
        super((path == null ? "epoch page" : "epoch page " + path) + ": " + problem);
        this.problem = problem;
    }

    /** What is wrong, without the path. */
    public String reason() {
        return problem;
    }

    public InvalidPageException(Path path, String problem, Throwable cause) {
        this(path, problem);
        initCause(cause);
    }
}
