package io.maas.billing.ledger;

/** Names of ledger accounts; one place so postings, invoices and statements agree on them. */
public final class LedgerAccounts {
    /** What the platform earns: its part of usage charges and reservation fees. */
    public static final String PLATFORM_REVENUE = "platform:revenue";
    /** Money paid out (provider payouts are debited to the provider's payable, credited here). */
    public static final String PLATFORM_CASH = "platform:cash";

    private LedgerAccounts() {
    }

    /** What a tenant owes: debited by every charge, the sum of its period's debits is its invoice total. */
    public static String tenantReceivable(String tenantId) {
        return "tenant:" + tenantId + ":receivable";
    }

    /** What the platform owes a provider: credited with its share of adapter charges. */
    public static String providerPayable(String providerId) {
        return "provider:" + providerId + ":payable";
    }
}
