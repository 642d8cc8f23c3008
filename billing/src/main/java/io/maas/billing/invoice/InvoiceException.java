package io.maas.billing.invoice;

/** An invoice action that the invoice's state does not allow (finalizing a draft of an open period, or twice). */
public class InvoiceException extends RuntimeException {
    public InvoiceException(String message) {
        super(message);
    }
}
