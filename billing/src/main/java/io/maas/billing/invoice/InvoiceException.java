package io.maas.billing.invoice;

import io.maas.billing.BillingException;

/** An invoice action that the invoice's state does not allow (finalizing a draft of an open period, or twice). */
public class InvoiceException extends BillingException {
    public InvoiceException(String message) {
        super(Kind.CONFLICT, message, null);
    }
}
