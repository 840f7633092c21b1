"""lbkit: the constructions behind *Superpolynomial Lower Bounds for Learning
One-Layer Neural Networks using Gradient Descent* (Goel, Gollakota, Jin,
Karmalkar, Klivans, ICML 2020), made executable.

The core (activations, Hermite analysis, the orthogonal family, input
distributions) needs only numpy and scipy; torch is imported only by the
learners.
"""

from .activation_library import BUILTIN_ACTIVATIONS, get_activation
from .activations import Activation
from .adversary import AdversaryGame, FamilyQuery, HermiteQuery, NeuronQuery
from .certify import certified_neuron_hits
from .certify_gradient import certified_gradient_hits
from .distributions import as_rng, sample
from .family import OrthogonalNetwork, orthogonal_network
from .hermite import gauss_hermite, hermite_functions
from .lower_bounds import csq_lower_bound, gd_query_count, log10_binom, sq_lower_bound
from .norm_bounds import norm_lower_bound
from .norms import hermite_weights, norm_squared, norm_terms
from .sq import CSQOracle, SQOracle, boolean_labels, boolean_split
from .stats import mean_se, minibatch_tolerance
from .supports import supports

__version__ = "0.1.0"
# The distribution this package comes from (PyPI's "lbkit" is an unrelated package):
# the notebooks' setup cells check it to recognise this lbkit.
__distribution__ = "lbkit-goel2020"

# The names the chapters and problem sets use most, and the core concepts. Everything else is
# imported from its module: lbkit.activation_library (ab_relu, register_activation),
# lbkit.activations (CoefficientSource), lbkit.family (orthogonal_family, OrthogonalFamily),
# lbkit.supports (Supports, sign_patterns), lbkit.hermite
# (gaussian_expectation, the Hermite feature helpers), lbkit.distributions (DISTRIBUTIONS),
# lbkit.sq (LINKS, ORACLE_MODES), lbkit.certify and lbkit.certify_gradient (CertifiedHits,
# CertificationError, largest_*_correlation), lbkit.stats, lbkit.queries, lbkit.rotations.
__all__ = [
    # activations
    "Activation",
    "BUILTIN_ACTIVATIONS",
    "get_activation",
    # the orthogonal family and its norms
    "OrthogonalNetwork",
    "orthogonal_network",
    "supports",
    "norm_squared",
    "norm_terms",
    "norm_lower_bound",
    "hermite_weights",
    # Hermite analysis
    "hermite_functions",
    "gauss_hermite",
    # inputs and Monte Carlo
    "sample",
    "as_rng",
    "mean_se",
    "minibatch_tolerance",
    # statistical queries
    "CSQOracle",
    "SQOracle",
    "boolean_labels",
    "boolean_split",
    # the lower bounds and the adversary
    "AdversaryGame",
    "FamilyQuery",
    "HermiteQuery",
    "NeuronQuery",
    "csq_lower_bound",
    "sq_lower_bound",
    "log10_binom",
    "gd_query_count",
    "certified_neuron_hits",
    "certified_gradient_hits",
]
