package io.maas.billing;

/** The billing module's errors for callers (admin API): what went wrong and which HTTP-like kind it is. */
public class BillingException extends RuntimeException {
    /** How the caller should treat it. */
    public enum Kind {
        /** The request is invalid (400). */
        INVALID,
        /** What the request names does not exist (404). */
        NOT_FOUND,
        /** The request conflicts with the current state (409): already finalized, already exists, … */
        CONFLICT
    }

    private final Kind kind;
    private final String param;

    public BillingException(Kind kind, String message, String param) {
        super(message);
        this.kind = kind;
        this.param = param;
    }

    public Kind kind() {
        return kind;
    }

    public String param() {
        return param;
    }
}
