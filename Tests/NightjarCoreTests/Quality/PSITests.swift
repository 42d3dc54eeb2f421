import Foundation
import Testing
@testable import NightjarCore

@Suite struct PSITests {
    @Test func shiftedSampleByHand() {
        // Proportions e = .25 .25 .25 .25, a = .1 .2 .3 .4:
        //   (.1−.25)·ln(.1/.25) = −.15 · ln .4 = −.15 · −0.9162907 = 0.1374436
        //   (.2−.25)·ln(.2/.25) = −.05 · ln .8 = −.05 · −0.2231436 = 0.0111572
        //   (.3−.25)·ln(.3/.25) =  .05 · ln 1.2 = .05 · 0.1823216 = 0.0091161
        //   (.4−.25)·ln(.4/.25) =  .15 · ln 1.6 = .15 · 0.4700036 = 0.0705005
        //   sum = 0.2282174
        #expect(abs(PSI.value(expected: [25, 25, 25, 25], actual: [10, 20, 30, 40]) - 0.2282174) < 1e-6)
        // Each term (a−e)·ln(a/e) is symmetric in a and e, so swapping the sides gives the same sum.
        #expect(abs(PSI.value(expected: [10, 20, 30, 40], actual: [25, 25, 25, 25]) - 0.2282174) < 1e-6)
    }

    @Test func identicalDistributionsAreZero() {
        #expect(PSI.value(expected: [25, 25, 25, 25], actual: [25, 25, 25, 25]) == 0)
        #expect(PSI.value(expected: [1, 2, 3, 0], actual: [100, 200, 300, 0]) == 0)  // same proportions, empty bin on both sides
        #expect(PSI.value(expected: [3, 4], actual: [0, 0]) == 0)                    // nothing to compare
    }

    @Test func zeroBinUsesEpsilon() {
        // e = .5 .5 0→1e-4, a = .5 .4 .1:
        //   0 + (.4−.5)·ln(.8) = −.1 · −0.2231436 = 0.0223144
        //   + (.1−.0001)·ln(.1/.0001) = .0999 · ln 1000 = .0999 · 6.9077553 = 0.6900848
        //   sum = 0.7123991
        #expect(PSI.epsilon == 1e-4)
        #expect(abs(PSI.value(expected: [50, 50, 0], actual: [50, 40, 10]) - 0.7123991) < 1e-6)
    }

    @Test func missingValuesAreOneMoreBin() {
        // No missing on the expected side, 10 of 100 on the actual: bins [50, 50, 0] vs [45, 45, 10]
        //   e = .5 .5 1e-4, a = .45 .45 .1
        //   2 · (.45−.5)·ln(.9) = 2 · −.05 · −0.1053605 = 0.0105361
        //   + .0999 · ln 1000 = 0.6900848;  sum = 0.7006209
        let psi = PSI.value(expected: [50, 50], expectedMissing: 0, actual: [45, 45], actualMissing: 10)
        #expect(abs(psi - 0.7006209) < 1e-6)
        #expect(PSI.value(expected: [50, 50], expectedMissing: 0, actual: [45, 45], actualMissing: 0) == 0)
    }
}
