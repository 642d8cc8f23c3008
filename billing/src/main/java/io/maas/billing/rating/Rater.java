package io.maas.billing.rating;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Rating, a pure function: the same input always gives the same result, and nothing is read or written
 * besides the input. The caller records the result and applies its allowance draw, in one transaction.
 */
public final class Rater {
    private Rater() {
    }

    public static RatingResult rate(RatingInput input) {
        Usage usage = input.usage();
        if (!usage.isCharged()) {
            return new RatingResult(usage.eventId(), usage.tenantId(), input.priceBook().currency(), List.of(), Optional.empty());
        }
        Optional<ReservationState> reservation = ReservationMatch.mostSpecific(input.reservations(), usage.model(), usage.time());
        List<TokenCharge> charges;
        Optional<AllowanceDraw> draw;
        if (reservation.isPresent()) {
            ReservationCharge charge = ReservationCharge.against(reservation.get(), usage.tokensTotal());
            charges = charge.charges();
            draw = Optional.of(charge.draw());
        } else {
            PriceEntry price = input.priceBook().entryFor(usage.model(), usage.time());
            charges = ChargeModel.of(price.chargeModel()).charges(usage.tokensPrompt(), usage.tokensCompletion(), price.tiers());
            draw = Optional.empty();
        }
        String reservationId = draw.map(AllowanceDraw::reservationId).orElse(null);
        List<ChargeLine> lines = new ArrayList<>(charges.size());
        long tokensOnLines = 0;
        for (TokenCharge charge : charges) {
            ChargeLine line = ChargeLine.of(charge, usage.model(), reservationId, usage.providerId(), input.shares());
            lines.add(line);
            tokensOnLines += line.tokens();
        }
        Check.invariantEquals(tokensOnLines, usage.tokensTotal(), "tokens on the lines of the usage");
        return new RatingResult(usage.eventId(), usage.tenantId(), input.priceBook().currency(), lines, draw);
    }
}
