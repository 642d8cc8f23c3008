package io.maas.billing.rating;

import static io.maas.billing.rating.RatingFixtures.NOVEMBER;
import static io.maas.billing.rating.RatingFixtures.TENANT;
import static io.maas.billing.rating.RatingFixtures.USD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.maas.billing.metering.UsageStatus;

/**
 * For many random price books, reservation states and usages (seeded, so a failure replays), rating agrees
 * with a second, deliberately naive computation: token by token, with integer half-even rounding written out,
 * and allowance drawn as a running count that is checked never to go below zero.
 */
class RaterPropertyTest {
    private static final long SEED = 20_261_115L;
    private static final int WORLDS = 400;
    private static final int USAGES_PER_WORLD = 25;
    private static final List<String> BASES = List.of("b0", "b1", "b2");
    private static final List<String> ADAPTERS = List.of("a0", "a1");
    private static final Instant[] STARTS = {
        Instant.parse("2020-01-01T00:00:00Z"), Instant.parse("2026-11-01T00:00:00Z"),
        Instant.parse("2026-11-10T12:00:00Z"), Instant.parse("2026-11-20T00:00:00Z")};

    @Test
    void lineAmountsMatchAnIndependentComputationAndAllowanceNeverGoesNegative() {
        Random random = new Random(SEED);
        int rated = 0;
        int unpriced = 0;
        int reserved = 0;
        for (int world = 0; world < WORLDS; world++) {
            List<ModelRef> models = models();
            List<PriceEntry> entries = priceEntries(random, models);
            PriceBook book = new PriceBook(USD, entries);
            MarketplaceShare shares = shares(random, models);
            Map<String, ReservationState> states = new LinkedHashMap<>();
            Map<String, Long> usedAtStart = new HashMap<>();
            for (Reservation reservation : reservations(random, models)) {
                long allowance = reservation.allowanceTokensFor(NOVEMBER);
                long used = (long) (random.nextDouble() * 1.3 * allowance);
                states.put(reservation.id(), new ReservationState(reservation, NOVEMBER, used));
                usedAtStart.put(reservation.id(), used);
            }
            for (int i = 0; i < USAGES_PER_WORLD; i++) {
                Usage usage = usage(random, models, world, i);
                RatingInput input = new RatingInput(usage, book, List.copyOf(states.values()), shares);
                Expected expected = expected(usage, entries, List.copyOf(states.values()), shares);
                if (expected == null) {
                    assertThrows(NoPriceException.class, () -> Rater.rate(input), usage.toString());
                    unpriced++;
                    continue;
                }
                RatingResult result = Rater.rate(input);
                rated++;
                String context = "world " + world + " usage " + i + ": " + usage;
                assertEquals(expected.totalMicros, result.lines().stream().mapToLong(ChargeLine::amountMicros).sum(), context);
                assertEquals(expected.totalMicros, result.totalMicros(), context);
                assertEquals(expected.lines, describe(result.lines()), context);
                assertEquals(expected.providerMicros, result.providerMicros(), context);
                assertEquals(result.totalMicros(), result.providerMicros() + result.platformMicros(), context);
                assertEquals(expected.drawReservationId, result.allowanceDraw().map(AllowanceDraw::reservationId).orElse(null), context);
                if (result.allowanceDraw().isPresent()) {
                    reserved++;
                    AllowanceDraw draw = result.allowanceDraw().get();
                    assertEquals(expected.drawTokens, draw.tokens(), context);
                    ReservationState next = states.get(draw.reservationId()).after(draw);
                    assertTrue(next.allowanceRemainingTokens() >= 0, context);
                    assertTrue(next.allowanceUsedTokens() <= Math.max(next.allowanceTokens(), usedAtStart.get(draw.reservationId())),
                            "drawn beyond the allowance: " + context);
                    states.put(draw.reservationId(), next);
                }
            }
        }
        // The generator must reach every path, or the agreement above says little.
        assertTrue(rated > WORLDS * USAGES_PER_WORLD / 2, "rated " + rated);
        assertTrue(unpriced > 0 && reserved > rated / 10, "unpriced " + unpriced + ", reserved " + reserved);
    }

    /** What rating should produce, computed token by token without the production code's arithmetic. */
    private record Expected(long totalMicros, long providerMicros, List<String> lines, String drawReservationId, long drawTokens) {
    }

    private static Expected expected(Usage usage, List<PriceEntry> entries, List<ReservationState> states, MarketplaceShare shares) {
        if (usage.status() == UsageStatus.FAILED) {
            return new Expected(0, 0, List.of(), null, 0);
        }
        int bps = usage.model().isAdapter() ? shares.providerShareBpsFor(usage.model()) : 0;
        ReservationState match = null;
        for (ReservationState state : states) {
            Reservation r = state.reservation();
            boolean active = !usage.time().isBefore(r.startsAt()) && (r.endsAt() == null || usage.time().isBefore(r.endsAt()));
            if (active && covers(r.scope(), usage.model()) && (match == null || better(r, match.reservation()))) {
                match = state;
            }
        }
        long tokens = usage.tokensTotal();
        Map<String, Long> counts = new TreeMap<>();
        Map<String, BigDecimal> rates = new HashMap<>();
        String drawId = null;
        long drawTokens = 0;
        if (match != null) {
            Reservation r = match.reservation();
            long remaining = Math.max(0, allowance(r) - match.allowanceUsedTokens());
            for (long t = 0; t < tokens; t++) {
                String key = remaining > 0 ? "RESERVATION_INCLUDED/0" : "RESERVATION_OVERAGE/0";
                if (remaining > 0) {
                    remaining--;
                    drawTokens++;
                }
                counts.merge(key, 1L, Long::sum);
            }
            rates.put("RESERVATION_INCLUDED/0", BigDecimal.ZERO);
            rates.put("RESERVATION_OVERAGE/0", r.overageMicrosPerToken());
            drawId = r.id();
        } else {
            PriceEntry price = priceAt(entries, usage.model(), usage.time());
            if (price == null && usage.model().isAdapter()) {
                price = priceAt(entries, usage.model().baseOnly(), usage.time());
            }
            if (price == null) {
                return null;
            }
            for (long position = 1; position <= tokens; position++) {
                boolean prompt = position <= usage.tokensPrompt();
                long sizeForTier = switch (price.chargeModel()) {
                    case FLAT -> 1;
                    case PER_REQUEST_TIERED -> tokens;
                    case GRADUATED_TIERED -> position;
                };
                int tier = 0;
                while (sizeForTier > price.tiers().get(tier).upToTokens()) {
                    tier++;
                }
                String key = (prompt ? "PAYG_INPUT/" : "PAYG_OUTPUT/") + tier;
                counts.merge(key, 1L, Long::sum);
                PriceTier priceTier = price.tiers().get(tier);
                rates.put(key, prompt ? priceTier.inputMicrosPerToken() : priceTier.outputMicrosPerToken());
            }
        }
        long total = 0;
        long provider = 0;
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, Long> bucket : counts.entrySet()) {
            BigDecimal rate = rates.get(bucket.getKey());
            // count × rate = count × unscaled / 10^scale; the generator makes no negative scales.
            long amount = halfEven(BigInteger.valueOf(bucket.getValue()).multiply(rate.unscaledValue()),
                    BigInteger.TEN.pow(rate.scale()));
            total += amount;
            provider += halfEven(BigInteger.valueOf(amount).multiply(BigInteger.valueOf(bps)), BigInteger.valueOf(10_000));
            lines.add(bucket.getKey() + " " + bucket.getValue() + " " + amount);
        }
        return new Expected(total, provider, lines, drawId, drawTokens);
    }

    private static List<String> describe(List<ChargeLine> lines) {
        return lines.stream().map(l -> l.kind() + "/" + l.tierIndex() + " " + l.tokens() + " " + l.amountMicros()).sorted().toList();
    }

    private static boolean covers(ReservationScope scope, ModelRef model) {
        if (scope instanceof ReservationScope.Adapters adapters) {
            return adapters.adapters().contains(model);
        }
        if (scope instanceof ReservationScope.BaseModel base) {
            return base.baseModel().equals(model.baseModel());
        }
        return true;
    }

    private static int rank(ReservationScope scope) {
        return scope instanceof ReservationScope.Adapters ? 2 : scope instanceof ReservationScope.BaseModel ? 1 : 0;
    }

    private static boolean better(Reservation candidate, Reservation best) {
        if (rank(candidate.scope()) != rank(best.scope())) {
            return rank(candidate.scope()) > rank(best.scope());
        }
        if (!candidate.startsAt().equals(best.startsAt())) {
            return candidate.startsAt().isBefore(best.startsAt());
        }
        return candidate.id().compareTo(best.id()) < 0;
    }

    /** Monthly allowance × active seconds / month seconds, half-even, in integers. */
    private static long allowance(Reservation r) {
        long periodStart = NOVEMBER.start().getEpochSecond();
        long periodEnd = NOVEMBER.end().getEpochSecond();
        long from = Math.max(periodStart, r.startsAt().getEpochSecond());
        long until = r.endsAt() == null ? periodEnd : Math.min(periodEnd, r.endsAt().getEpochSecond());
        long active = Math.max(0, until - from);
        return halfEven(BigInteger.valueOf(r.allowanceMonthlyTokens()).multiply(BigInteger.valueOf(active)),
                BigInteger.valueOf(periodEnd - periodStart));
    }

    private static PriceEntry priceAt(List<PriceEntry> entries, ModelRef model, Instant at) {
        PriceEntry found = null;
        for (PriceEntry entry : entries) {
            if (entry.model().equals(model) && !entry.effectiveFrom().isAfter(at)
                    && (found == null || entry.effectiveFrom().isAfter(found.effectiveFrom()))) {
                found = entry;
            }
        }
        return found;
    }

    /** numerator / denominator rounded half to even, both non-negative. */
    private static long halfEven(BigInteger numerator, BigInteger denominator) {
        BigInteger[] qr = numerator.divideAndRemainder(denominator);
        int twiceRemainder = qr[1].shiftLeft(1).compareTo(denominator);
        boolean up = twiceRemainder > 0 || (twiceRemainder == 0 && qr[0].testBit(0));
        return qr[0].add(up ? BigInteger.ONE : BigInteger.ZERO).longValueExact();
    }

    private static List<ModelRef> models() {
        List<ModelRef> models = new ArrayList<>();
        for (String base : BASES) {
            models.add(ModelRef.base(base));
            for (String adapter : ADAPTERS) {
                models.add(ModelRef.adapter(base, adapter));
            }
        }
        return models;
    }

    private static List<PriceEntry> priceEntries(Random random, List<ModelRef> models) {
        List<PriceEntry> entries = new ArrayList<>();
        for (ModelRef model : models) {
            // Most bases are priced from long ago; adapters have their own price a third of the time.
            int count;
            if (model.isAdapter()) {
                count = random.nextInt(3) == 0 ? 1 + random.nextInt(2) : 0;
            } else {
                count = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(3);
            }
            Set<Instant> used = new HashSet<>();
            for (int i = 0; i < count; i++) {
                Instant from = i == 0 && random.nextInt(4) != 0
                        ? STARTS[0]
                        : NOVEMBER.start().plusSeconds(random.nextInt((int) NOVEMBER.seconds()) - 86_400L * 5);
                if (used.add(from)) {
                    entries.add(priceEntry(random, model, from));
                }
            }
        }
        return entries;
    }

    private static ChargeModelType randomType(Random random) {
        return ChargeModelType.values()[random.nextInt(ChargeModelType.values().length)];
    }

    private static PriceEntry priceEntry(Random random, ModelRef model, Instant from) {
        ChargeModelType type = randomType(random);
        List<PriceTier> tiers = new ArrayList<>();
        int bounded = type == ChargeModelType.FLAT ? 0 : random.nextInt(4);
        long bound = 0;
        for (int i = 0; i < bounded; i++) {
            bound += 1 + random.nextInt(1_500);
            tiers.add(PriceTier.upTo(bound, randomRate(random), randomRate(random)));
        }
        tiers.add(PriceTier.unbounded(randomRate(random), randomRate(random)));
        return new PriceEntry(model, from, type, tiers);
    }

    /** Up to 1,000 micros a token with up to six decimals, zero now and then. */
    private static BigDecimal randomRate(Random random) {
        if (random.nextInt(20) == 0) {
            return BigDecimal.ZERO;
        }
        return BigDecimal.valueOf(random.nextInt(1_000_000_000), 6).setScale(random.nextInt(7), RoundingMode.DOWN);
    }

    private static MarketplaceShare shares(Random random, List<ModelRef> models) {
        Map<ModelRef, Integer> overrides = new HashMap<>();
        for (ModelRef model : models) {
            if (model.isAdapter() && random.nextInt(3) == 0) {
                overrides.put(model, random.nextInt(10_001));
            }
        }
        return new MarketplaceShare(random.nextInt(10_001), overrides);
    }

    private static List<Reservation> reservations(Random random, List<ModelRef> models) {
        List<Reservation> reservations = new ArrayList<>();
        int count = random.nextInt(5);
        for (int i = 0; i < count; i++) {
            ReservationScope scope = switch (random.nextInt(3)) {
                case 0 -> ReservationScope.everything();
                case 1 -> ReservationScope.baseModel(BASES.get(random.nextInt(BASES.size())));
                default -> {
                    Set<ModelRef> adapters = new HashSet<>();
                    for (ModelRef model : models) {
                        if (model.isAdapter() && random.nextInt(3) == 0) {
                            adapters.add(model);
                        }
                    }
                    adapters.add(ModelRef.adapter(BASES.get(random.nextInt(BASES.size())), ADAPTERS.get(random.nextInt(ADAPTERS.size()))));
                    yield ReservationScope.adapters(adapters);
                }
            };
            Instant start = STARTS[random.nextInt(STARTS.length)];
            Instant end = random.nextInt(3) == 0 ? start.plusSeconds(1 + random.nextInt(40 * 86_400)) : null;
            reservations.add(new Reservation("r" + random.nextInt(100) + "-" + i, TENANT, scope, USD,
                    random.nextInt(1_000_000_000), random.nextInt(60_000), randomRate(random), start, end));
        }
        return reservations;
    }

    private static Usage usage(Random random, List<ModelRef> models, int world, int index) {
        ModelRef model = models.get(random.nextInt(models.size()));
        Instant at = NOVEMBER.start().plusSeconds(random.nextInt((int) NOVEMBER.seconds())).plusMillis(random.nextInt(1_000));
        UsageStatus status = random.nextInt(10) == 0 ? UsageStatus.FAILED : random.nextInt(10) == 0 ? UsageStatus.CANCELLED : UsageStatus.COMPLETED;
        return new Usage(new UUID(world, index), at, TENANT, model, model.isAdapter() ? "provider-" + model.adapter() : null,
                random.nextInt(3_000), random.nextInt(3_000), status);
    }
}
