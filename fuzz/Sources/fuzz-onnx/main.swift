import FuzzSupport

FuzzDriver.run(fuzzONNX)
