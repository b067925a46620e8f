// The self-contained Student-t quantile (spectral/detail/student_t.hpp) against
// Boost.Math's students_t over a grid of degrees of freedom and probabilities.
#include <blockspec/spectral/detail/student_t.hpp>

#include <boost/math/distributions/students_t.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>

namespace {
double boost_quantile(double df, double p) { return boost::math::quantile(boost::math::students_t(df), p); }
}  // namespace

TEST_CASE("student_t_quantile matches Boost.Math to 2e-12 relative for df <= 1e5, 1e-11 up to 1e6") {
  const auto probabilities = {1e-12, 1e-8,  1e-4, 1e-3, 0.01,  0.025, 0.05,  0.1,       0.2,        0.3,
                              0.4,   0.45,  0.49, 0.6,  0.75,  0.9,   0.95,  0.975,     0.99,       0.995,
                              0.999, 0.9999, 1 - 1e-6, 1 - 1e-10};
  for (double df : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 9.0, 10.0, 15.0, 29.0, 30.0, 99.0, 1000.0, 1e4, 1e5, 1e6}) {
    const double tolerance = df <= 1e5 ? 2e-12 : 1e-11;
    for (double p : probabilities) {
      CAPTURE(df);
      CAPTURE(p);
      const double mine = blockspec::detail::student_t_quantile(df, p);
      const double ref = boost_quantile(df, p);
      CHECK(std::fabs(mine - ref) <= tolerance * std::fabs(ref));
    }
  }
}

TEST_CASE("student_t_quantile: symmetry, the median, closed forms and invalid arguments") {
  CHECK(blockspec::detail::student_t_quantile(7.0, 0.5) == 0.0);
  CHECK(blockspec::detail::student_t_quantile(7.0, 0.25) == -blockspec::detail::student_t_quantile(7.0, 0.75));
  // Textbook table values: t_{0.975, 9} = 2.2621571627982049, t_{0.995, 1} = 63.656741162871526.
  CHECK(blockspec::detail::student_t_quantile(9.0, 0.975) == doctest::Approx(2.2621571627982049).epsilon(1e-12));
  CHECK(blockspec::detail::student_t_quantile(1.0, 0.995) == doctest::Approx(63.656741162871526).epsilon(1e-12));
  CHECK(std::isnan(blockspec::detail::student_t_quantile(0.0, 0.9)));
  CHECK(std::isnan(blockspec::detail::student_t_quantile(3.0, 1.0)));
  CHECK(std::isnan(blockspec::detail::student_t_quantile(3.0, 0.0)));
}
