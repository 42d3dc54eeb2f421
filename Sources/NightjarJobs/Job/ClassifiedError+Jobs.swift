import NightjarCore

// The failure kinds of the orchestration layer's errors (see `FailureKind`).

extension JobFileError: ClassifiedError {
    public var failureKind: FailureKind { .configuration }
}

extension CronError: ClassifiedError {
    public var failureKind: FailureKind { .configuration }
}

extension BundleVerificationError: ClassifiedError {
    public var failureKind: FailureKind { .configuration }
}

extension BundleRefused: ClassifiedError {
    public var failureKind: FailureKind { .configuration }
}

extension MetricsError: ClassifiedError {
    public var failureKind: FailureKind { .configuration }
}
