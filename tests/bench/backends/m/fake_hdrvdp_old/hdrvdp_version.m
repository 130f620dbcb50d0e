function ver = hdrvdp_version()
% Written for the itmn-bench tests: a version other than 2.2.2.
ver = 2.1;
end
