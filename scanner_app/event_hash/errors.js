// The one error the Event Hash ID port raises for an event it refuses (the core's EventError).

// --- errors ----------------------------------------------------------------------------------

/** The error for an event (or document) that is malformed and so has no Event Hash ID. */
export class EventHashError extends Error {
  /** `field` is the JSON path of the offending member (as the core's MalformedEventError). */
  constructor(message, field = null) {
    super(field ? `${field}: ${message}` : message);
    this.name = "EventHashError";
    this.field = field;
  }
}
