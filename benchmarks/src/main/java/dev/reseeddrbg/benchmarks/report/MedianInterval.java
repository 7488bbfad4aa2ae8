package dev.reseeddrbg.benchmarks.report;

import java.util.Arrays;

/**
 * The median of a target's ratios over rounds, and a distribution-free confidence interval
 * for it: order statistics of the binomial, with no assumption about how the noise is
 * shaped. Low, high and coverage are NaN when there are too few rounds for an interval.
 */
record MedianInterval(double median, double low, double high, double coverage) {
    /** Two-sided; each tail of the interval for the median holds at most this much. */
    private static final double TAIL = 0.025;

    static MedianInterval of(double[] values) {
        double[] x = values.clone();
        Arrays.sort(x);
        int n = x.length;
        double median = n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
        // The k-th smallest and k-th largest bound the median with probability
        // 1 - 2 P(Binomial(n, 1/2) <= k - 1); take the narrowest with each tail <= TAIL.
        int k = 0;
        while (k + 1 <= n / 2 && binomialCdf(k, n) <= TAIL) {
            k++;
        }
        if (k == 0) {
            return new MedianInterval(median, Double.NaN, Double.NaN, Double.NaN);
        }
        return new MedianInterval(median, x[k - 1], x[n - k], 1 - 2 * binomialCdf(k - 1, n));
    }

    /** P(X <= j) for X ~ Binomial(n, 1/2). */
    static double binomialCdf(int j, int n) {
        double sum = 0;
        double term = Math.pow(0.5, n); // C(n, 0) / 2^n
        for (int i = 0; i <= j; i++) {
            sum += term;
            term = term * (n - i) / (i + 1);
        }
        return sum;
    }
}
