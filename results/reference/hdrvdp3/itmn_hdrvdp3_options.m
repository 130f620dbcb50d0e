function res = itmn_hdrvdp3_options(task, test, reference, color_encoding, pixels_per_degree, varargin)
% ITMN_HDRVDP3_OPTIONS  hdrvdp3() with its options given as separate name, value arguments.
%
% The suite's bridge passes numbers, strings and arrays but no cell arrays; this wrapper (part of
% itmn-bench, BSD-3-Clause; not part of HDR-VDP) builds the options cell and calls the user's
% HDR-VDP 3.0.7 unchanged. Used by make_reference.py for the rows with non-default options.
res = hdrvdp3(task, test, reference, color_encoding, pixels_per_degree, varargin);
end
