import FuzzSupport

FuzzDriver.run(fuzzXGBoost)
