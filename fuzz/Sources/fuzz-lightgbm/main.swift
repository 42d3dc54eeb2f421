import FuzzSupport

FuzzDriver.run(fuzzLightGBM)
