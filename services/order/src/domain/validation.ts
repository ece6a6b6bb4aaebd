import type { PlaceOrder } from "./commands.js";
import type { FieldError } from "./errors.js";

export const ORDER_LIMITS = { maxLines: 100, minQuantity: 1, maxQuantity: 1000 } as const;

/** The business rules of a new order; shape (types, presence) is the HTTP layer's job. */
export function validatePlaceOrder(command: Pick<PlaceOrder, "customerId" | "lines">): FieldError[] {
  const errors: FieldError[] = [];
  if (command.customerId.trim() === "") {
    errors.push({ field: "customerId", message: "must not be empty" });
  }
  if (command.lines.length === 0) {
    errors.push({ field: "lines", message: "must have at least one line" });
  }
  if (command.lines.length > ORDER_LIMITS.maxLines) {
    errors.push({ field: "lines", message: `must have at most ${ORDER_LIMITS.maxLines} lines` });
  }
  const firstLineOfSku = new Map<string, number>();
  command.lines.forEach((line, index) => {
    if (line.sku.trim() === "") {
      errors.push({ field: `lines.${index}.sku`, message: "must not be empty" });
    } else {
      const first = firstLineOfSku.get(line.sku);
      if (first === undefined) {
        firstLineOfSku.set(line.sku, index);
      } else {
        errors.push({ field: `lines.${index}.sku`, message: `repeats the SKU of line ${first}` });
      }
    }
    if (
      !Number.isInteger(line.quantity) ||
      line.quantity < ORDER_LIMITS.minQuantity ||
      line.quantity > ORDER_LIMITS.maxQuantity
    ) {
      errors.push({
        field: `lines.${index}.quantity`,
        message: `must be an integer from ${ORDER_LIMITS.minQuantity} to ${ORDER_LIMITS.maxQuantity}`,
      });
    }
  });
  return errors;
}
