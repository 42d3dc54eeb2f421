// The failure kinds of the compute layer's errors (see `FailureKind`).

extension ModelError: ClassifiedError {
    public var failureKind: FailureKind { .configuration }
}

extension ForestError: ClassifiedError {
    public var failureKind: FailureKind { .configuration }
}

extension EncodingError: ClassifiedError {
    public var failureKind: FailureKind { .input }
}

extension ContractError: ClassifiedError {
    public var failureKind: FailureKind { .input }
}

extension MissingColumnsError: ClassifiedError {
    public var failureKind: FailureKind { .input }
}

/// How the job binds input columns to a one-tensor model (`features:`, `--features`).
extension FeatureBindingError: ClassifiedError {
    public var failureKind: FailureKind { .configuration }
}
