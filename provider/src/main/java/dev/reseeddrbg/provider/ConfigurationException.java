package dev.reseeddrbg.provider;

import java.io.Serial;

/**
 * A ReseedDRBG configuration property has an invalid value. Unlike unsupported
 * getInstance parameters (which make getInstance move on to the next provider, as the
 * SecureRandomSpi contract asks), a misconfiguration reaches the caller of getInstance
 * as this IllegalArgumentException: silently falling back to another provider would
 * hide it. The message names the property, the value and what is allowed.
 */
public final class ConfigurationException extends IllegalArgumentException {
    @Serial
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
