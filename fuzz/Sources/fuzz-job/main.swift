import FuzzSupport

FuzzDriver.run(fuzzJob)
