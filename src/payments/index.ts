/** Paid delivery (docs/contract.md "Payments"): what the send pipeline uses. */
export {
  verifyPayment,
  type VerifyPaymentInput,
  type VerifyPaymentResult,
  type VerifiedPayment,
  type RecipientPayment,
  type DeliveryOutputRecord,
} from './verify-payment'
export { paymentDoubleSpent, paymentReplayed, type PaymentErrorCode, type PaymentRefusal } from './refusal'
export { broadcastPayment, type Broadcaster, BROADCAST_TIMEOUT_MS } from './broadcast'
export { chainTrackerFor, HttpChainTracker, TrackerUnavailable } from './chain-tracker'
export { DEFAULT_PAYMENT_LIMITS, type PaymentLimits } from './limits'
