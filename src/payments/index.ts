/** Paid delivery (contract.md "Payments"): what the send pipeline uses. */
export {
  verifyPayment,
  type VerifyPaymentInput,
  type VerifyPaymentResult,
  type VerifiedPayment,
  type RecipientPayment,
  type DeliveryOutputRecord,
} from './verify-payment'
export { paymentDoubleSpent, paymentReplayed, type PaymentErrorCode, type PaymentRefusal } from './refusal'
export { broadcastPayment, type Broadcaster, DEFAULT_ARC_URL, BROADCAST_TIMEOUT_MS } from './broadcast'
export {
  chainTrackerFor,
  HttpChainTracker,
  TrackerUnavailable,
  DEFAULT_CHAIN_TRACKER_URL,
} from './chain-tracker'
export { DEFAULT_PAYMENT_LIMITS, type PaymentLimits } from './limits'
