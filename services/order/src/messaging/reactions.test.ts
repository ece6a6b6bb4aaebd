import type { IntegrationEvent } from "@stocksaga/contracts";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { type ConsumedMessage, InvalidEventError } from "@stocksaga/messaging";
import { describe, expect, it, vi } from "vitest";
import { commandFor, orderReactions } from "./reactions.js";

const ORDER_ID = SAMPLE_EVENTS.StockReserved.orderId;
const RESERVATION_ID = "5f0c8a52-3b9e-4d7a-8c21-0e6f4b2d9a17";
const OTHER_RESERVATION_ID = "a3d1e6f2-7c4b-4e95-b0a8-19c2d5e7f364";
/** The order service acts after the event was written: commands carry the processing time. */
const PROCESSED_AT = new Date(SAMPLE_EVENTS.StockReserved.metadata.occurredAt + 90_000);

const stockReserved = { ...SAMPLE_EVENTS.StockReserved, reservationId: RESERVATION_ID };
const reservationExpired = { ...SAMPLE_EVENTS.ReservationExpired, reservationId: RESERVATION_ID };
const stockCommitted = {
  ...SAMPLE_EVENTS.StockCommitted,
  lines: [
    { reservationId: RESERVATION_ID, sku: "SKU-RED-MUG", committedQuantity: 2 },
    { reservationId: OTHER_RESERVATION_ID, sku: "SKU-BLUE-CUP", committedQuantity: 1 },
  ],
};

const stockRequestAnswered = {
  ...SAMPLE_EVENTS.StockRequestAnswered,
  lines: SAMPLE_EVENTS.StockRequestAnswered.lines.map((line) =>
    line.reservationId === null ? line : { ...line, reservationId: RESERVATION_ID.toUpperCase() },
  ),
};

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("each inventory event becomes one order command; time comes in on the event", () => {
  it("StockReserved → RecordStockReserved", () => {
    expect(commandFor(stockReserved, PROCESSED_AT)).toEqual({
      orderId: ORDER_ID,
      command: {
        type: "RecordStockReserved",
        orderId: ORDER_ID,
        lineCount: 2,
        sku: "SKU-RED-MUG",
        requestedQuantity: 3,
        reservedQuantity: 2,
        reservationId: RESERVATION_ID,
        now: PROCESSED_AT,
      },
    });
  });

  it("StockRejected → RecordStockRejected", () => {
    expect(commandFor(SAMPLE_EVENTS.StockRejected, PROCESSED_AT)).toEqual({
      orderId: ORDER_ID,
      command: {
        type: "RecordStockRejected",
        orderId: ORDER_ID,
        lineCount: 2,
        sku: "SKU-BLUE-CUP",
        requestedQuantity: 1,
        reason: "INSUFFICIENT_STOCK",
        availableQuantity: 0,
        now: PROCESSED_AT,
      },
    });
  });

  it("StockRequestAnswered → RecordStockRequestAnswered with every line, reservation ids in lower case", () => {
    expect(commandFor(stockRequestAnswered, PROCESSED_AT)).toEqual({
      orderId: ORDER_ID,
      command: {
        type: "RecordStockRequestAnswered",
        orderId: ORDER_ID,
        lines: [
          {
            sku: "SKU-RED-MUG",
            requestedQuantity: 3,
            reservedQuantity: 2,
            reservationId: RESERVATION_ID,
            reason: null,
            availableQuantity: 2,
          },
          {
            sku: "SKU-BLUE-CUP",
            requestedQuantity: 1,
            reservedQuantity: 0,
            reservationId: null,
            reason: "INSUFFICIENT_STOCK",
            availableQuantity: 0,
          },
        ],
        now: PROCESSED_AT,
      },
    });
  });

  it("StockCommitted → RecordStockCommitted with every line", () => {
    expect(commandFor(stockCommitted, PROCESSED_AT)).toEqual({
      orderId: ORDER_ID,
      command: {
        type: "RecordStockCommitted",
        orderId: ORDER_ID,
        lines: stockCommitted.lines,
        now: PROCESSED_AT,
      },
    });
  });

  it("ReservationExpired → RecordReservationExpired", () => {
    expect(commandFor(reservationExpired, PROCESSED_AT)).toEqual({
      orderId: ORDER_ID,
      command: {
        type: "RecordReservationExpired",
        orderId: ORDER_ID,
        reservationId: RESERVATION_ID,
        sku: "SKU-RED-MUG",
        quantity: 2,
        now: PROCESSED_AT,
      },
    });
  });

  it("StockReleased needs no decision", () => {
    expect(commandFor(SAMPLE_EVENTS.StockReleased, PROCESSED_AT)).toEqual({
      orderId: ORDER_ID,
      command: undefined,
    });
  });

  it("gives reservation ids in canonical lower case, as the order's lines hold them", () => {
    const upper = RESERVATION_ID.toUpperCase();
    expect(commandFor({ ...stockReserved, reservationId: upper }, PROCESSED_AT).command).toMatchObject({
      reservationId: RESERVATION_ID,
    });
    expect(commandFor({ ...reservationExpired, reservationId: upper }, PROCESSED_AT).command).toMatchObject({
      reservationId: RESERVATION_ID,
    });
    const committed = {
      ...stockCommitted,
      lines: stockCommitted.lines.map((line) => ({
        ...line,
        reservationId: line.reservationId.toUpperCase(),
      })),
    };
    expect(commandFor(committed, PROCESSED_AT).command).toMatchObject({ lines: stockCommitted.lines });
  });

  it.each([
    [
      "StockReserved with a reservation id that is not a UUID",
      { ...stockReserved, reservationId: "res-0001" },
    ],
    [
      "ReservationExpired with a reservation id that is not a UUID",
      { ...reservationExpired, reservationId: `${RESERVATION_ID}x` },
    ],
    [
      "StockRequestAnswered with a line's reservation id not a UUID",
      {
        ...stockRequestAnswered,
        lines: [
          { ...stockRequestAnswered.lines[0], reservationId: "res-0001" },
          stockRequestAnswered.lines[1],
        ],
      } as IntegrationEvent,
    ],
    [
      "StockCommitted with one line's reservation id not a UUID",
      {
        ...stockCommitted,
        lines: [stockCommitted.lines[0], { ...stockCommitted.lines[1], reservationId: "" }],
      } as IntegrationEvent,
    ],
  ])("refuses %s as an invalid event (dead letter), not a database error", (_, event: IntegrationEvent) => {
    const error = thrown(() => commandFor(event, PROCESSED_AT));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ reason: "INVALID_RESERVATION_ID" });
  });

  it.each([
    [
      "a rejection reason this build does not know",
      { ...SAMPLE_EVENTS.StockRejected, reason: "UNSPECIFIED" as const },
      "UNKNOWN_REASON",
    ],
    [
      "a line rejected for a reason this build does not know",
      {
        ...stockRequestAnswered,
        lines: [stockRequestAnswered.lines[0], { ...stockRequestAnswered.lines[1], reason: "UNSPECIFIED" }],
      } as IntegrationEvent,
      "UNKNOWN_REASON",
    ],
    ["an event the order service does not consume", SAMPLE_EVENTS.OrderRequested, "UNEXPECTED_EVENT"],
  ])("refuses %s as an invalid event (dead letter)", (_, event: IntegrationEvent, reason) => {
    const error = thrown(() => commandFor(event, PROCESSED_AT));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ reason });
  });
});

describe("orderReactions", () => {
  function message(event: IntegrationEvent): ConsumedMessage<IntegrationEvent> {
    return { event, topic: "reservation-events", partition: 1, offset: "7", key: ORDER_ID, headers: {} };
  }

  it("refuses a reservation id that is not a UUID before touching the order", async () => {
    const reactAll = vi.fn(async () => []);
    const handle = orderReactions({ reactAll }, "order-service", () => PROCESSED_AT);
    const [outcome] = await handle([message({ ...stockReserved, reservationId: "res-0001" })]);
    expect(outcome).toMatchObject({
      name: "InvalidEventError",
      reason: "INVALID_RESERVATION_ID",
    });
    expect(reactAll).not.toHaveBeenCalled();
  });
});
