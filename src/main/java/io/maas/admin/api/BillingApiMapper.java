package io.maas.admin.api;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Currency;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.maas.billing.invoice.Invoice;
import io.maas.billing.invoice.InvoiceLine;
import io.maas.billing.invoice.Invoicing;
import io.maas.billing.invoice.ProviderStatements;
import io.maas.billing.ledger.UnratedUsageRepository;
import io.maas.billing.payout.Payout;
import io.maas.billing.pricebook.PriceBookRepository;
import io.maas.billing.rating.BillingPeriod;
import io.maas.billing.rating.ChargeModelType;
import io.maas.billing.rating.ModelRef;
import io.maas.billing.rating.PriceEntry;
import io.maas.billing.rating.PriceTier;
import io.maas.billing.rating.Reservation;
import io.maas.billing.rating.ReservationScope;
import io.maas.billing.reservation.ReservationService;
import io.maas.gateway.api.OpenAiException;

/**
 * The billing admin API's wire form (snake_case records) and the one place it is mapped to and from the billing
 * module's values, so neither leaks into the other. Amounts are integer micros; rates are decimal micros per token.
 */
public final class BillingApiMapper {
    private BillingApiMapper() {
    }

    /** One tier; {@code up_to_tokens} null = unbounded (the last tier). */
    public record TierDto(@JsonProperty("up_to_tokens") Long upToTokens,
            @JsonProperty("input_micros_per_token") BigDecimal inputMicrosPerToken,
            @JsonProperty("output_micros_per_token") BigDecimal outputMicrosPerToken) {
    }

    /** A price entry to create. */
    public record PriceRequest(@JsonProperty("base_model") String baseModel, String adapter,
            @JsonProperty("effective_from") Instant effectiveFrom, @JsonProperty("charge_model") String chargeModel,
            List<TierDto> tiers) {
    }

    public record PriceDto(long id, @JsonProperty("base_model") String baseModel, String adapter,
            @JsonProperty("effective_from") Instant effectiveFrom, @JsonProperty("charge_model") String chargeModel,
            List<TierDto> tiers, @JsonProperty("created_at") Instant createdAt) {
    }

    /** A reservation's scope: kind everything | base_model | adapters ("base:adapter"). */
    public record ScopeDto(String kind, @JsonProperty("base_model") String baseModel, List<String> adapters) {
    }

    public record ReservationRequest(String id, @JsonProperty("tenant_id") String tenantId, ScopeDto scope,
            @JsonProperty("fee_monthly_micros") Long feeMonthlyMicros,
            @JsonProperty("allowance_monthly_tokens") Long allowanceMonthlyTokens,
            @JsonProperty("overage_micros_per_token") BigDecimal overageMicrosPerToken,
            @JsonProperty("starts_at") Instant startsAt, @JsonProperty("ends_at") Instant endsAt) {
    }

    public record CancelRequest(@JsonProperty("ends_at") Instant endsAt) {
    }

    /** A reservation with its live burn-down in the current period. */
    public record ReservationDto(String id, @JsonProperty("tenant_id") String tenantId, ScopeDto scope,
            @JsonProperty("fee_monthly_micros") long feeMonthlyMicros,
            @JsonProperty("allowance_monthly_tokens") long allowanceMonthlyTokens,
            @JsonProperty("overage_micros_per_token") BigDecimal overageMicrosPerToken,
            @JsonProperty("starts_at") Instant startsAt, @JsonProperty("ends_at") Instant endsAt, String period,
            @JsonProperty("fee_micros") long feeMicros, @JsonProperty("allowance_tokens") long allowanceTokens,
            @JsonProperty("allowance_used_tokens") long allowanceUsedTokens,
            @JsonProperty("allowance_remaining_tokens") long allowanceRemainingTokens) {
    }

    public record InvoiceLineDto(@JsonProperty("line_no") int lineNo, String kind, String description,
            @JsonProperty("base_model") String baseModel, String adapter,
            @JsonProperty("reservation_id") String reservationId, long tokens,
            @JsonProperty("amount_micros") long amountMicros, @JsonProperty("amount_minor") long amountMinor,
            String amount, boolean adjustment) {
    }

    public record InvoiceDto(UUID id, @JsonProperty("tenant_id") String tenantId, String period, String currency,
            String status, String number, List<InvoiceLineDto> lines,
            @JsonProperty("total_micros") long totalMicros, @JsonProperty("total_minor") long totalMinor,
            String total, @JsonProperty("finalized_at") Instant finalizedAt) {
    }

    public record InvoiceSummaryDto(UUID id, @JsonProperty("tenant_id") String tenantId, String period, String status,
            String number, @JsonProperty("total_minor") Long totalMinor,
            @JsonProperty("finalized_at") Instant finalizedAt) {
    }

    public record StatementLineDto(@JsonProperty("provider_id") String providerId,
            @JsonProperty("base_model") String baseModel, String adapter, long tokens,
            @JsonProperty("charged_micros") long chargedMicros, @JsonProperty("earned_micros") long earnedMicros) {
    }

    /** A payout to record; {@code id} is the client's idempotency key. */
    public record PayoutRequest(String id, @JsonProperty("provider_id") String providerId, String period,
            @JsonProperty("amount_micros") Long amountMicros, String reference) {
    }

    public record PayoutDto(String id, @JsonProperty("provider_id") String providerId, String period,
            @JsonProperty("amount_micros") long amountMicros, String reference,
            @JsonProperty("transaction_id") UUID transactionId, @JsonProperty("created_at") Instant createdAt) {
    }

    /** A provider's money for the period: earned, paid out, still owed (all micros), and its payouts. */
    public record ProviderBalanceDto(@JsonProperty("provider_id") String providerId,
            @JsonProperty("earned_micros") long earnedMicros, @JsonProperty("paid_out_micros") long paidOutMicros,
            @JsonProperty("balance_micros") long balanceMicros, List<PayoutDto> payouts) {
    }

    /** A provider statement: usage lines per adapter ({@code data}) and each provider's balance with payouts. */
    public record StatementDto(String period, List<StatementLineDto> data, List<ProviderBalanceDto> providers) {
    }

    public record UnratedDto(@JsonProperty("event_id") UUID eventId, @JsonProperty("tenant_id") String tenantId,
            @JsonProperty("base_model") String baseModel, String adapter,
            @JsonProperty("occurred_at") Instant occurredAt, String reason, int attempts) {
    }

    /** A page of results. */
    public record ListDto<T>(List<T> data) {
    }

    public static BillingPeriod period(String value, String param) {
        if (value == null || value.isBlank()) {
            throw OpenAiException.invalidValue("'" + param + "' is required, as YYYY-MM.", param);
        }
        try {
            return BillingPeriod.of(YearMonth.parse(value));
        } catch (DateTimeParseException e) {
            throw OpenAiException.invalidValue("'" + param + "' must be a month as YYYY-MM, was '" + value + "'.", param);
        }
    }

    public static <T> T required(T body) {
        if (body == null) {
            throw OpenAiException.invalidRequest("A JSON request body is required.", null);
        }
        return body;
    }

    static ModelRef model(String baseModel, String adapter) {
        return adapter == null || adapter.isEmpty() ? ModelRef.base(baseModel) : ModelRef.adapter(baseModel, adapter);
    }

    public static PriceEntry toEntry(PriceRequest r) {
        if (r.tiers() == null || r.tiers().isEmpty()) {
            throw OpenAiException.invalidValue("'tiers' must list at least one tier.", "tiers");
        }
        List<PriceTier> tiers = new ArrayList<>();
        for (TierDto t : r.tiers()) {
            tiers.add(t.upToTokens() == null ? PriceTier.unbounded(t.inputMicrosPerToken(), t.outputMicrosPerToken())
                    : PriceTier.upTo(t.upToTokens(), t.inputMicrosPerToken(), t.outputMicrosPerToken()));
        }
        return new PriceEntry(model(r.baseModel(), r.adapter()), r.effectiveFrom(),
                ChargeModelType.fromWire(r.chargeModel()), tiers);
    }

    static PriceDto toDto(PriceBookRepository.StoredPrice p) {
        List<TierDto> tiers = p.entry().tiers().stream().map(t -> new TierDto(t.isUnbounded() ? null : t.upToTokens(),
                t.inputMicrosPerToken(), t.outputMicrosPerToken())).toList();
        return new PriceDto(p.id(), p.entry().model().baseModel(), p.entry().model().adapter(),
                p.entry().effectiveFrom(), p.entry().chargeModel().wireName(), tiers, p.createdAt());
    }

    public static Reservation toReservation(ReservationRequest r) {
        if (r.scope() == null || r.scope().kind() == null || r.feeMonthlyMicros() == null
                || r.allowanceMonthlyTokens() == null) {
            throw OpenAiException.invalidValue("'scope', 'fee_monthly_micros' and 'allowance_monthly_tokens' are required.",
                    "scope");
        }
        ReservationScope scope = switch (r.scope().kind()) {
            case "everything" -> ReservationScope.everything();
            case "base_model" -> ReservationScope.baseModel(r.scope().baseModel());
            case "adapters" -> {
                Set<ModelRef> adapters = new LinkedHashSet<>();
                for (String s : r.scope().adapters() == null ? List.<String>of() : r.scope().adapters()) {
                    int colon = s.indexOf(':');
                    if (colon <= 0) {
                        throw OpenAiException.invalidValue("adapters are named 'base:adapter', was '" + s + "'.", "scope");
                    }
                    adapters.add(ModelRef.adapter(s.substring(0, colon), s.substring(colon + 1)));
                }
                yield ReservationScope.adapters(adapters);
            }
            default -> throw OpenAiException.invalidValue("scope kind must be everything, base_model or adapters.", "scope");
        };
        return new Reservation(r.id(), r.tenantId(), scope, PriceBookRepository.CURRENCY, r.feeMonthlyMicros(),
                r.allowanceMonthlyTokens(), r.overageMicrosPerToken(), r.startsAt(), r.endsAt());
    }

    static ScopeDto toDto(ReservationScope scope) {
        if (scope instanceof ReservationScope.BaseModel b) {
            return new ScopeDto("base_model", b.baseModel(), null);
        }
        if (scope instanceof ReservationScope.Adapters a) {
            return new ScopeDto("adapters", null, a.adapters().stream().map(ModelRef::toString).sorted().toList());
        }
        return new ScopeDto("everything", null, null);
    }

    static ReservationDto toDto(ReservationService.BurnDown b) {
        Reservation r = b.reservation();
        return new ReservationDto(r.id(), r.tenantId(), toDto(r.scope()), r.feeMonthlyMicros(), r.allowanceMonthlyTokens(),
                r.overageMicrosPerToken(), r.startsAt(), r.endsAt(), b.period().toString(), b.feeMicros(),
                b.allowanceTokens(), b.allowanceUsedTokens(), b.allowanceRemainingTokens());
    }

    public static InvoiceDto toDto(Invoice i) {
        Currency currency = Currency.getInstance(i.currency());
        List<InvoiceLineDto> lines = new ArrayList<>();
        for (InvoiceLine l : i.lines()) {
            lines.add(new InvoiceLineDto(l.lineNo(), l.kind(), l.description(), l.baseModel(), l.adapter(),
                    l.reservationId(), l.tokens(), l.amountMicros(), l.amountMinor(), units(currency, l.amountMinor()),
                    l.adjustment()));
        }
        return new InvoiceDto(i.id(), i.tenantId(), i.period().toString(), i.currency(), i.status(), i.number(), lines,
                i.totalMicros(), i.totalMinor(), units(currency, i.totalMinor()), i.finalizedAt());
    }

    /** Minor units as a decimal string in the currency's units: 535000 → "5350.00". */
    static String units(Currency currency, long minor) {
        return BigDecimal.valueOf(minor, currency.getDefaultFractionDigits()).toPlainString();
    }

    static InvoiceSummaryDto toDto(Invoicing.Summary s) {
        return new InvoiceSummaryDto(s.id(), s.tenantId(), s.period().toString(), s.status(), s.number(), s.totalMinor(),
                s.finalizedAt());
    }

    public static PayoutDto toDto(Payout p) {
        return new PayoutDto(p.id(), p.providerId(), p.period().toString(), p.amountMicros(), p.reference(),
                p.transactionId(), p.createdAt());
    }

    public static StatementDto toDto(ProviderStatements.Statement s) {
        return new StatementDto(s.period().toString(), s.lines().stream().map(BillingApiMapper::toDto).toList(),
                s.balances().stream().map(b -> new ProviderBalanceDto(b.providerId(), b.earnedMicros(),
                        b.paidOutMicros(), b.balanceMicros(), b.payouts().stream().map(BillingApiMapper::toDto).toList()))
                        .toList());
    }

    static StatementLineDto toDto(ProviderStatements.Line l) {
        return new StatementLineDto(l.providerId(), l.baseModel(), l.adapter(), l.tokens(), l.chargedMicros(),
                l.earnedMicros());
    }

    static UnratedDto toDto(UnratedUsageRepository.Unrated u) {
        return new UnratedDto(u.eventId(), u.tenantId(), u.baseModel(), u.adapter(), u.occurredAt(), u.reason(),
                u.attempts());
    }
}
