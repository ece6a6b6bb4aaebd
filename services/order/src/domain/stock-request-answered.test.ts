import { describe, expect, it } from "vitest";
import type { AnsweredLine, OrderCommand } from "./commands.js";
import { decide } from "./decide.js";
import { InconsistentStockMessage } from "./errors.js";
import type { OrderEvent } from "./events.js";
import { evolve } from "./evolve.js";
import { type Fulfilment, initialState, type OrderState } from "./order.js";
import {
  ADJUSTED_HISTORY,
  answeredRejected,
  answeredReserved,
  at,
  CONFIRMED_HISTORY,
  lineRejected,
  lineReserved,
  orderAdjusted,
  orderConfirmed,
  orderPlaced,
  orderRejected,
  spec,
  stockRejected,
  stockRequestAnswered,
  stockReserved,
} from "./testing.js";

describe("StockRequestAnswered: every line answered at once", () => {
  it("confirms when every line is reserved in full", () => {
    spec
      .given([orderPlaced()])
      .when(stockRequestAnswered([answeredReserved("SKU-A", 2, 2), answeredReserved("SKU-B", 5, 5)]))
      .thenEmits([lineReserved("SKU-A", 2), lineReserved("SKU-B", 5), orderConfirmed()]);
  });

  it("adjusts under PARTIAL to what was reserved, leaving out a line with nothing", () => {
    spec
      .given([orderPlaced()])
      .when(stockRequestAnswered([answeredRejected("SKU-A", 2, 1), answeredReserved("SKU-B", 5, 3)]))
      .thenEmits([
        lineRejected("SKU-A", 1),
        lineReserved("SKU-B", 3),
        orderAdjusted([{ sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 3 }]),
      ]);
  });

  it("rejects with NO_STOCK, each line with its reason, when nothing was reserved", () => {
    spec
      .given([orderPlaced()])
      .when(
        stockRequestAnswered([
          answeredRejected("SKU-A", 2, 0, "UNKNOWN_PRODUCT"),
          answeredRejected("SKU-B", 5, 4),
        ]),
      )
      .thenEmits([
        lineRejected("SKU-A", 0, at(1), "UNKNOWN_PRODUCT"),
        lineRejected("SKU-B", 4),
        orderRejected("NO_STOCK", "No stock for any line: SKU-A, SKU-B"),
      ]);
  });

  it("rejects under ALL_OR_NOTHING when a line is short", () => {
    spec
      .given([orderPlaced(undefined, "ALL_OR_NOTHING")])
      .when(stockRequestAnswered([answeredReserved("SKU-A", 2, 2), answeredRejected("SKU-B", 5, 1)]))
      .thenEmits([
        lineReserved("SKU-A", 2),
        lineRejected("SKU-B", 1),
        orderRejected("SHORTFALL_NOT_ALLOWED", "All or nothing, short on SKU-B"),
      ]);
  });

  it("answers in the answer's order, whatever the order's", () => {
    spec
      .given([orderPlaced()])
      .when(stockRequestAnswered([answeredReserved("SKU-B", 5, 5), answeredReserved("SKU-A", 2, 2)]))
      .thenEmits([lineReserved("SKU-B", 5), lineReserved("SKU-A", 2), orderConfirmed()]);
  });

  it("keeps a line already answered by a per-line event, and answers the rest", () => {
    spec
      .given([orderPlaced(), lineRejected("SKU-A", 0)])
      .when(stockRequestAnswered([answeredReserved("SKU-A", 2, 2), answeredReserved("SKU-B", 5, 5)]))
      .thenEmits([
        lineReserved("SKU-B", 5),
        orderAdjusted([{ sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 5 }]),
      ]);
  });

  it("changes nothing when it comes again, or after the decision", () => {
    const answer = stockRequestAnswered([answeredReserved("SKU-A", 2, 2), answeredReserved("SKU-B", 5, 5)]);
    spec.given(CONFIRMED_HISTORY).when(answer).thenEmits([]);
    spec.given(ADJUSTED_HISTORY).when(answer).thenEmits([]);
    spec
      .given([orderPlaced(), orderRejected("TIMEOUT", "late", at(40_000))])
      .when(answer)
      .thenEmits([]);
  });

  describe("an answer that cannot be about this order", () => {
    const cases: [string, AnsweredLine[], string][] = [
      ["answers fewer lines", [answeredReserved("SKU-A", 2, 2)], "answer counts 1 lines, the order has 2"],
      [
        "names a SKU the order does not have",
        [answeredReserved("SKU-A", 2, 2), answeredReserved("SKU-Z", 5, 5)],
        "SKU SKU-Z is not in the order",
      ],
      [
        "answers a line twice",
        [answeredReserved("SKU-A", 2, 2), answeredReserved("SKU-A", 2, 2)],
        "answer repeats SKU-A",
      ],
      [
        "requests another quantity",
        [answeredReserved("SKU-A", 3, 3), answeredReserved("SKU-B", 5, 5)],
        "answer for SKU-A requests 3, the order 2",
      ],
      [
        "reserves more than requested",
        [answeredReserved("SKU-A", 2, 3), answeredReserved("SKU-B", 5, 5)],
        "3 reserved for SKU-A, which requested 2",
      ],
      [
        "reserves units without a reservation",
        [{ ...answeredReserved("SKU-A", 2, 2), reservationId: null }, answeredReserved("SKU-B", 5, 5)],
        "SKU-A reserved 2 with reservation null and reason null",
      ],
      [
        "reserves units and gives a reason",
        [
          { ...answeredReserved("SKU-A", 2, 2), reason: "INSUFFICIENT_STOCK" },
          answeredReserved("SKU-B", 5, 5),
        ],
        "SKU-A reserved 2 with reservation reservation-SKU-A and reason INSUFFICIENT_STOCK",
      ],
      [
        "reserves nothing without a reason",
        [{ ...answeredRejected("SKU-A", 2, 0), reason: null }, answeredReserved("SKU-B", 5, 5)],
        "SKU-A reserved nothing with reservation null and reason null",
      ],
    ];

    it.each(cases)("is a domain error when it %s, whatever the order's status", (_case, lines, detail) => {
      for (const history of [[orderPlaced()], CONFIRMED_HISTORY]) {
        spec
          .given(history)
          .when(stockRequestAnswered(lines))
          .thenThrows(InconsistentStockMessage, { detail });
      }
    });
  });
});

describe("StockRequestAnswered decides what the per-line answers decide", () => {
  type LineOutcome = "full" | "short" | "none" | "unknown";
  const OUTCOMES: LineOutcome[] = ["full", "short", "none", "unknown"];
  const REQUESTED = { "SKU-A": 2, "SKU-B": 5 } as const;

  function answered(sku: keyof typeof REQUESTED, outcome: LineOutcome): AnsweredLine {
    const requested = REQUESTED[sku];
    switch (outcome) {
      case "full":
        return answeredReserved(sku, requested, requested);
      case "short":
        return answeredReserved(sku, requested, 1);
      case "none":
        return answeredRejected(sku, requested, 0);
      case "unknown":
        return answeredRejected(sku, requested, 0, "UNKNOWN_PRODUCT");
    }
  }

  function perLine(line: AnsweredLine): OrderCommand {
    return line.reservationId !== null
      ? stockReserved(line.sku, line.requestedQuantity, line.reservedQuantity)
      : stockRejected(line.sku, line.requestedQuantity, line.availableQuantity, {
          reason: line.reason ?? undefined,
        });
  }

  function run(
    state: OrderState,
    commands: readonly OrderCommand[],
  ): { state: OrderState; events: OrderEvent[] } {
    const events: OrderEvent[] = [];
    for (const command of commands) {
      const decided = decide(command, state);
      events.push(...decided);
      state = decided.reduce(evolve, state);
    }
    return { state, events };
  }

  const combinations = (["PARTIAL", "ALL_OR_NOTHING"] as Fulfilment[]).flatMap((fulfilment) =>
    OUTCOMES.flatMap((a) => OUTCOMES.map((b) => [fulfilment, a, b] as const)),
  );

  it.each(combinations)("%s, SKU-A %s, SKU-B %s", (fulfilment, a, b) => {
    const placed = evolve(initialState(), orderPlaced(undefined, fulfilment));
    const lines = [answered("SKU-A", a), answered("SKU-B", b)];

    const oneAnswer = run(placed, [stockRequestAnswered(lines)]);
    const lineByLine = run(placed, lines.map(perLine));

    expect(oneAnswer.state).toEqual(lineByLine.state);
    expect(oneAnswer.events).toEqual(lineByLine.events);
    expect(oneAnswer.state.status).not.toBe("PENDING");
  });
});
