function [cls, sz, n_nan, n_inf, total, first] = itmn_describe(x)
% Written for the itmn-bench tests: what the engine received.
% class, size, number of NaN and Inf values, sum of the finite values (in double), and x(1, 2, 1)
% (row 1, column 2, channel 1: checks that rows, columns and channels keep their places).
cls = class(x);
sz = size(x);
n_nan = nnz(isnan(x));
n_inf = nnz(isinf(x));
v = double(x(isfinite(x)));
total = sum(v(:));
first = double(x(1, 2, 1));
end
